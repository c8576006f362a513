/**
 * The reference deployment files under deploy/: the committed nginx.conf is what the tested renderer
 * writes for the compose setup, and nginx accepts it; the compose file and the Kubernetes manifests parse
 * and say what the README says (probes on /readyz and /healthz, a PodDisruptionBudget, replica ids, no
 * per-address cap behind the proxy, the body cap). The manifests are only parsed here: nothing in this
 * project runs Kubernetes or Docker.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { COMPOSE_NGINX_CONF, COMPOSE_NGINX_OPTIONS, DEFAULT_MAX_BODY_BYTES, renderNginxConfig } from '../../bench/scale/nginx.js';
import { loadConfig } from '../../server/config.js';
import { repoRoot } from '../support/fixtures.js';
import { nginxBinary } from './support.js';

const read = (file: string): string => readFileSync(path.join(repoRoot, file), 'utf8');

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- parsed YAML, checked field by field below
type Doc = Record<string, any>;

describe('deploy/ reference files', () => {
  it('commits the nginx configuration the tests run (regenerate: npx tsx bench/scale/write-nginx-conf.ts)', () => {
    expect(read(COMPOSE_NGINX_CONF)).toBe(renderNginxConfig(COMPOSE_NGINX_OPTIONS));
    // The body cap is the server's own with its defaults.
    expect(DEFAULT_MAX_BODY_BYTES).toBe(loadConfig({}).http.maxBodyBytes);
  });

  it.skipIf(!nginxBinary)('is accepted by nginx -t (compose host names replaced by loopback addresses)', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'facegate-nginx-t-'));
    try {
      const text = renderNginxConfig({
        ...COMPOSE_NGINX_OPTIONS,
        listen: '127.0.0.1:1',
        replicas: COMPOSE_NGINX_OPTIONS.replicas.map((r, i) => ({ ...r, address: `127.0.0.1:${4001 + i}` })),
        runtimeDir: dir,
      });
      writeFileSync(path.join(dir, 'nginx.conf'), text);
      const result = spawnSync(nginxBinary!, ['-t', '-p', dir, '-c', path.join(dir, 'nginx.conf'), '-e', path.join(dir, 'error.log')], { encoding: 'utf8' });
      expect(result.stderr).toContain('test is successful');
      expect(result.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('has a compose file with nginx, two replicas with their own ids, and PostgreSQL', () => {
    const compose = parse(read('deploy/compose.scale.yml'), { merge: true }) as Doc;
    expect(Object.keys(compose['services']).sort()).toEqual(['facegate-1', 'facegate-2', 'nginx', 'postgres']);
    for (const replica of COMPOSE_NGINX_OPTIONS.replicas) {
      const service = compose['services'][replica.id] as Doc;
      expect(service['environment']['FACEGATE_REPLICA_ID']).toBe(replica.id);
      expect(service['environment']['FACEGATE_MAX_CONNECTIONS_PER_ADDRESS']).toBe('0');
      expect(service['environment']['FACEGATE_DATABASE_URL']).toContain('@postgres:5432/');
      expect(service['healthcheck']['test']).toContain('/readyz');
      expect(replica.address).toBe(`${replica.id}:${service['environment']['FACEGATE_PORT']}`);
    }
    expect(compose['services']['nginx']['volumes']).toContain('./nginx/nginx.conf:/etc/nginx/nginx.conf:ro');
  });

  it('has Kubernetes manifests: Deployment with readiness on /readyz and liveness, Service, PodDisruptionBudget (parsed, not applied)', () => {
    const docs = parseAllDocuments(read('deploy/k8s/facegate.yaml')).map((d) => {
      expect(d.errors).toEqual([]);
      return d.toJS() as Doc;
    });
    const byKind = new Map(docs.map((d) => [d['kind'] as string, d]));
    expect([...byKind.keys()].sort()).toEqual(['Deployment', 'Ingress', 'PodDisruptionBudget', 'Service']);
    const deployment = byKind.get('Deployment')!;
    const labels = deployment['spec']['selector']['matchLabels'];
    expect(deployment['spec']['template']['metadata']['labels']).toMatchObject(labels);
    expect(deployment['spec']['replicas']).toBeGreaterThanOrEqual(2);
    const container = deployment['spec']['template']['spec']['containers'][0] as Doc;
    expect(container['readinessProbe']['httpGet']).toMatchObject({ path: '/readyz', port: 'http' });
    expect(container['livenessProbe']['httpGet']).toMatchObject({ path: '/healthz', port: 'http' });
    expect(container['ports'][0]).toMatchObject({ name: 'http', containerPort: 4000 });
    const env = new Map((container['env'] as Doc[]).map((e) => [e['name'] as string, e]));
    expect(env.get('FACEGATE_REPLICA_ID')?.['valueFrom']['fieldRef']['fieldPath']).toBe('metadata.name');
    expect(env.get('FACEGATE_MAX_CONNECTIONS_PER_ADDRESS')?.['value']).toBe('0');
    expect(env.get('FACEGATE_WORKERS')?.['value']).toBe(String(container['resources']['limits']['cpu']));
    expect(container['resources']['requests']['memory']).toMatch(/^\d+Mi$/);
    // Every variable the manifest sets is one the server reads, with a valid value.
    const plain = Object.fromEntries([...env.values()].filter((e) => 'value' in e).map((e) => [e['name'] as string, String(e['value'])]));
    expect(() => loadConfig(plain)).not.toThrow();
    expect(byKind.get('Service')!['spec']['selector']).toEqual(labels);
    expect(byKind.get('PodDisruptionBudget')!['spec']['selector']['matchLabels']).toEqual(labels);
    expect(byKind.get('PodDisruptionBudget')!['spec']['minAvailable']).toBeLessThan(deployment['spec']['replicas']);
    expect(deployment['spec']['template']['spec']['terminationGracePeriodSeconds']).toBeGreaterThan(loadConfig({}).http.shutdownTimeoutMs / 1000);
  });
});
