/**
 * Scale-out as deployed: two replicas (`node dist/server/main.js`, their own processes) on one PostgreSQL
 * database, and Debian's nginx in front with the reference configuration (bench/scale/nginx.ts, the same
 * text as deploy/nginx/nginx.conf), everything on loopback. Through nginx: verify, requests spread over
 * both replicas, an enrollment on one identified on the other within 1 s, a live session over graphql-ws,
 * an HTTP-opened live session routed by its routing key (and refused with SESSION_ON_OTHER_REPLICA
 * elsewhere); a replica whose LISTEN connection is cut catches up; a replica killed during a load run.
 *
 * Skips with a message without nginx or PostgreSQL (FACEGATE_TEST_DATABASE_URL); in CI it fails instead.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from 'graphql-ws';
import { startNginx, startReplica, stopReplicas, type Nginx, type Replica } from '../../bench/scale/cluster.js';
import { graphqlForm } from '../../bench/graphql-form.js';
import { call, codeOf, CREATE_GALLERY, CREATE_SUBJECT, ENROLL, faceCrops, GALLERY, IDENTIFY, images, variant } from '../server/gallery-client.js';
import { subscribeLive } from '../server/live-client.js';
import { freshDatabase } from '../server/pg.js';
import {
  nginxBinary,
  replicaOf,
  scaleSkipReason,
  START_LIVE_BASE64,
  START_LIVE_UPLOAD,
  SUBJECT,
  SUBMIT,
  until,
  VERIFY,
  webSocketWithHeaders,
} from './support.js';

const ADMIN = 'scale-admin-key-0123456789abcdef';
const ROUTE = 'x-facegate-replica';

const OUTCOME = 'query ($id: ID!) { liveChallengeOutcome(sessionId: $id) { result } }';

describe.skipIf(scaleSkipReason !== null)('two replicas behind nginx on one PostgreSQL', () => {
  let db: { url: string; drop: () => Promise<void> };
  let logDir: string;
  let r1: Replica;
  let r2: Replica;
  let nginx: Nginx;
  let crops: Buffer[];
  let galleryId: string;

  beforeAll(async () => {
    db = await freshDatabase();
    logDir = mkdtempSync(path.join(os.tmpdir(), 'facegate-scale-'));
    const env = { FACEGATE_ADMIN_KEY: ADMIN };
    // The first replica migrates the new database; the second starts while it loads its models.
    r1 = await startReplica({ id: 'r1', databaseUrl: db.url, env, logDir });
    r2 = await startReplica({ id: 'r2', databaseUrl: db.url, env, logDir });
    nginx = await startNginx(nginxBinary!, [r1, r2]);
    crops = await faceCrops(async (bytes) => {
      const r = await call<{ detect: { faces: { box: { x: number; y: number; width: number; height: number } }[] } }>(
        nginx.url,
        null,
        'mutation ($image: File!) { detect(image: $image) { faces { box { x y width height } } } }',
        {},
        { image: { bytes } },
      );
      return r.body.data!.detect.faces;
    });
    // Every enrollment face belongs to a different subject, so the duplicate check is off here.
    const g = await call<{ createGallery: { id: string } }>(nginx.url, ADMIN, CREATE_GALLERY, {
      input: { name: 'scale', matchPolicy: { duplicateThreshold: 1.0001 } },
    });
    galleryId = g.body.data!.createGallery.id;
  }, 240_000);

  afterAll(async () => {
    await nginx?.stop();
    await stopReplicas([r1, r2].filter(Boolean));
    await db?.drop();
    if (logDir) rmSync(logDir, { recursive: true, force: true });
  });

  it('verifies through nginx and spreads requests over both replicas', async () => {
    const probe = await variant(crops[0]!);
    const answeredBy: string[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await call<{ verify: { similarity: number; match: boolean } }>(nginx.url, null, VERIFY, {}, { r: { bytes: crops[0]! }, p: { bytes: probe } });
      expect(r.status).toBe(200);
      expect(r.body.data?.verify.match).toBe(true);
      answeredBy.push(replicaOf(r) ?? 'none');
    }
    const impostor = await call<{ verify: { match: boolean } }>(nginx.url, null, VERIFY, {}, { r: { bytes: crops[0]! }, p: { bytes: crops[1]! } });
    expect(impostor.body.data?.verify.match).toBe(false);
    console.info(`[scale] 6 verifications answered by ${answeredBy.join(', ')}`);
    expect(new Set(answeredBy)).toEqual(new Set(['r1', 'r2']));
    // nginx's own log agrees: both upstream addresses served /graphql.
    const log = nginx.accessLog();
    expect(log).toContain(`upstream=127.0.0.1:${r1.port}`);
    expect(log).toContain(`upstream=127.0.0.1:${r2.port}`);
    // /metrics stays inside: the proxy does not expose it.
    expect((await fetch(`${nginx.url}/metrics`)).status).toBe(404);
    expect((await fetch(`${nginx.url}/readyz`)).status).toBe(200);
  });

  it('identifies through r2 a subject enrolled through r1 within 1 s', async () => {
    const s = await call<{ createSubject: { id: string } }>(nginx.url, ADMIN, CREATE_SUBJECT, { galleryId, input: { externalId: 'ann' } });
    const subjectId = s.body.data!.createSubject.id;
    const probe = await variant(crops[0]!);
    const enrolled = await call<{ enrollFaces: { enrolled: unknown[] } }>(nginx.url, ADMIN, ENROLL, { subjectId }, images([{ bytes: crops[0]! }]), { [ROUTE]: 'r1' });
    const answered = performance.now();
    expect(replicaOf(enrolled)).toBe('r1');
    expect(enrolled.body.data?.enrollFaces.enrolled).toHaveLength(1);
    const onR2 = await call<{ identifyFace: { decision: string; subject: { id: string } | null } }>(nginx.url, ADMIN, IDENTIFY, { galleryId }, { probe: { bytes: probe } }, { [ROUTE]: 'r2' });
    const ms = performance.now() - answered;
    expect(replicaOf(onR2)).toBe('r2');
    expect(onR2.body.data?.identifyFace).toMatchObject({ decision: 'MATCH', subject: { id: subjectId } });
    console.info(`[scale] enrolled through r1, identified (MATCH) through r2 ${ms.toFixed(0)} ms after r1 answered, through nginx`);
    expect(ms).toBeLessThan(1000);
  });

  it('runs a live session over graphql-ws through nginx (the origin check sees the public Host)', async () => {
    const origin = nginx.url;
    const client = createClient({
      url: `${nginx.url.replace(/^http/, 'ws')}/graphql`,
      webSocketImpl: webSocketWithHeaders({ origin }),
      retryAttempts: 0,
      lazy: false,
    });
    try {
      const started = await new Promise<{ id: string; replica: string }>((resolve, reject) => {
        client.subscribe<{ startLiveSession: { id: string; replica: string } }>(
          { query: START_LIVE_BASE64, variables: { ref: crops[0]!.toString('base64') } },
          { next: (v) => (v.data ? resolve(v.data.startLiveSession) : reject(new Error(JSON.stringify(v.errors)))), error: reject, complete: () => undefined },
        );
      });
      expect(started.id.startsWith(`${started.replica}.`)).toBe(true);
      const live = subscribeLive(client, started.id);
      const frame = (await variant(crops[0]!)).toString('base64');
      for (let i = 0; i < 3; i++) {
        await new Promise<void>((resolve, reject) => {
          client.subscribe({ query: SUBMIT, variables: { id: started.id, frame } }, { next: () => undefined, error: reject, complete: resolve });
        });
        await live.until((f) => f.length > i, 20_000);
      }
      expect(live.frames.every((f) => f.match === true && f.error === null)).toBe(true);
      live.dispose();
    } finally {
      await client.dispose();
    }
    // A page of another site may not open a socket through the proxy either.
    const refused = await new Promise<number>((resolve) => {
      const Ws = webSocketWithHeaders({ origin: 'https://evil.example' });
      const socket = new Ws(`${nginx.url.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws');
      socket.on('unexpected-response', (req, res) => {
        resolve(res.statusCode ?? 0);
        req.destroy();
      });
      socket.on('open', () => {
        resolve(101);
        socket.close();
      });
      socket.on('error', () => undefined);
    });
    expect(refused).toBe(403);
  });

  it('routes an HTTP-opened live session by its routing key, and refuses it on the other replica with SESSION_ON_OTHER_REPLICA', async () => {
    const opened = await call<{ startLiveSession: { id: string; replica: string } }>(nginx.url, null, START_LIVE_UPLOAD, {}, { reference: { bytes: crops[1]! } });
    const session = opened.body.data!.startLiveSession;
    const holder = session.replica;
    const other = holder === 'r1' ? 'r2' : 'r1';
    expect(replicaOf(opened)).toBe(holder);
    expect(opened.headers.get('set-cookie')).toMatch(new RegExp(`^facegate_replica=${holder}; Path=/graphql; Max-Age=\\d+; HttpOnly; SameSite=Strict$`));
    const frame = (await variant(crops[1]!)).toString('base64');

    // With the routing key in the header: always the holder.
    for (let i = 0; i < 3; i++) {
      const r = await call<{ submitFrame: { accepted: boolean } }>(nginx.url, null, SUBMIT, { id: session.id, frame }, {}, { [ROUTE]: holder });
      expect(replicaOf(r)).toBe(holder);
      expect(r.body.data?.submitFrame.accepted).toBe(true);
    }
    // Sent to the other replica: the typed error names the holder.
    const wrong = await call(nginx.url, null, SUBMIT, { id: session.id, frame }, {}, { [ROUTE]: other });
    expect(replicaOf(wrong)).toBe(other);
    expect(codeOf(wrong)).toBe('SESSION_ON_OTHER_REPLICA');
    expect(wrong.body.errors?.[0]?.extensions?.['replica']).toBe(holder);
    // A backend reading the session's challenge outcome on the wrong replica is told where it is, not "null".
    const outcomeElsewhere = await call(nginx.url, null, OUTCOME, { id: session.id }, {}, { [ROUTE]: other });
    expect(codeOf(outcomeElsewhere)).toBe('SESSION_ON_OTHER_REPLICA');
    const outcomeHere = await call<{ liveChallengeOutcome: unknown }>(nginx.url, null, OUTCOME, { id: session.id }, {}, { [ROUTE]: holder });
    expect(outcomeHere.body.errors).toBeUndefined();
    expect(outcomeHere.body.data?.liveChallengeOutcome).toBeNull(); // no challenge in this session
    // Without any key, each request lands where the balancer puts it: the holder serves it, the other refuses it.
    const seen = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const r = await call<{ submitFrame: { accepted: boolean } }>(nginx.url, null, SUBMIT, { id: session.id, frame });
      const by = replicaOf(r)!;
      seen.add(by);
      if (by === holder) expect(r.body.data?.submitFrame).toBeDefined();
      else expect(codeOf(r)).toBe('SESSION_ON_OTHER_REPLICA');
    }
    console.info(`[scale] HTTP-opened session on ${holder}: routed by header 3/3; without a key answered by ${[...seen].join(', ')}`);

    // A browser: its WebSocket carries the cookie, never a custom header; nginx routes it by the cookie.
    const client = createClient({
      url: `${nginx.url.replace(/^http/, 'ws')}/graphql`,
      webSocketImpl: webSocketWithHeaders({ cookie: `facegate_replica=${holder}` }),
      retryAttempts: 0,
      lazy: false,
    });
    try {
      const live = subscribeLive(client, session.id);
      // The newest result produced while nobody listened comes first; then a fresh frame over the socket.
      await new Promise<void>((resolve, reject) => {
        client.subscribe({ query: SUBMIT, variables: { id: session.id, frame } }, { next: () => undefined, error: reject, complete: resolve });
      });
      const frames = await live.until((f) => f.some((x) => x.error === null && x.match === true), 20_000);
      expect(frames.every((f) => f.error === null)).toBe(true);
      live.dispose();
    } finally {
      await client.dispose();
    }
  });

  it('catches up when its LISTEN connection is cut (pg_terminate_backend) and changes happen meanwhile', async () => {
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    try {
      const metric = async (): Promise<number> => {
        const text = await (await fetch(`${r2.url}/metrics`)).text();
        return Number(/facegate_gallery_remote_changes_total\{kind="resync"\} (\d+)/.exec(text)?.[1] ?? 0);
      };
      const resyncsBefore = await metric();
      const killed = await admin.query<{ pid: number }>(
        "SELECT pid FROM pg_stat_activity WHERE application_name = 'facegate-r2' AND query LIKE 'LISTEN%' AND pg_terminate_backend(pid)",
      );
      expect(killed.rows).toHaveLength(1);
      // While r2 is not listening (it reconnects after 1 s), r1 enrolls someone new: r2 misses the NOTIFY.
      const s = await call<{ createSubject: { id: string } }>(nginx.url, ADMIN, CREATE_SUBJECT, { galleryId, input: { externalId: 'bob' } }, {}, { [ROUTE]: 'r1' });
      const subjectId = s.body.data!.createSubject.id;
      const enrolled = await call<{ enrollFaces: { enrolled: unknown[] } }>(nginx.url, ADMIN, ENROLL, { subjectId }, images([{ bytes: crops[2]! }]), { [ROUTE]: 'r1' });
      expect(enrolled.body.data?.enrollFaces.enrolled).toHaveLength(1);
      const probe = await variant(crops[2]!);
      const { ms } = await until(async () => {
        const r = await call<{ identifyFace: { decision: string; subject: { id: string } | null } }>(nginx.url, ADMIN, IDENTIFY, { galleryId }, { probe: { bytes: probe } }, { [ROUTE]: 'r2' });
        return r.body.data?.identifyFace.subject?.id === subjectId ? r : null;
      }, 10_000, 100);
      expect(await metric()).toBe(resyncsBefore + 1);
      const relisten = await admin.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'facegate-r2' AND query LIKE 'LISTEN%'");
      expect(relisten.rows[0].n).toBe(1);
      console.info(`[scale] r2's LISTEN connection cut; r2 reconnected, resynced and identified the subject r1 enrolled meanwhile ${ms.toFixed(0)} ms after the enrollment answered`);
    } finally {
      await admin.end();
    }
  });

  it('keeps serving when a replica is killed during a load run: 502 for its in-flight requests, nothing enrolled lost', async () => {
    const probe = await variant(crops[3]!);
    const outcomes: { status: number; code: string | null; by: string | null; at: number; kind: string }[] = [];
    const acknowledged: { subjectId: string; templateId: string; by: string | null }[] = [];
    /** Subjects whose enrollment got no answer (502): stored or not, the client cannot tell. */
    const unanswered: string[] = [];
    const start = performance.now();
    let running = true;
    const request = async (kind: string, body: () => FormData | string, headers: Record<string, string> = {}): Promise<{ data: unknown; by: string | null }> => {
      const response = await fetch(`${nginx.url}/graphql`, { method: 'POST', headers, body: body() });
      const text = await response.text();
      let json: { data?: unknown; errors?: { extensions?: { code?: string } }[] } = {};
      try {
        json = JSON.parse(text) as typeof json;
      } catch {
        // nginx's own error page (502)
      }
      const by = response.headers.get(ROUTE);
      outcomes.push({ status: response.status, code: json.errors?.[0]?.extensions?.code ?? null, by, at: performance.now() - start, kind });
      return { data: json.data, by };
    };
    const verifier = async (): Promise<void> => {
      while (running) await request('verify', () => graphqlForm(VERIFY, {}, { r: crops[3]!, p: probe })).catch(() => undefined);
    };
    const enroller = async (): Promise<void> => {
      for (let n = 0; running; n++) {
        const s = await call<{ createSubject: { id: string } }>(nginx.url, ADMIN, CREATE_SUBJECT, { galleryId, input: { externalId: `load-${n}` } }).catch(() => null);
        const subjectId = s?.body.data?.createSubject.id;
        if (!subjectId) continue;
        const enrollForm = (): FormData => graphqlForm(ENROLL, { subjectId }, { 'images.0': { bytes: crops[3]!, name: 'face.jpg' } });
        // Alternately routed to r1 and r2 by the routing key (once r2 is gone, its key falls back to r1).
        const answer = await request('enroll', enrollForm, { authorization: `Bearer ${ADMIN}`, [ROUTE]: n % 2 === 0 ? 'r1' : 'r2' }).catch(() => null);
        const data = answer?.data as { enrollFaces?: { enrolled: { template: { id: string } }[] } } | undefined;
        const templateId = data?.enrollFaces?.enrolled[0]?.template.id;
        if (templateId) acknowledged.push({ subjectId, templateId, by: answer?.by ?? null });
        else unanswered.push(subjectId);
      }
    };
    const load = Promise.all([verifier(), verifier(), verifier(), enroller()]);
    await new Promise((r) => setTimeout(r, 3000));
    const killedAt = performance.now() - start;
    r2.child.kill('SIGKILL');
    await new Promise((r) => r2.child.once('exit', r));
    await new Promise((r) => setTimeout(r, 4000));
    running = false;
    await load;

    const before = outcomes.filter((o) => o.at < killedAt);
    const failed = outcomes.filter((o) => o.status !== 200 || o.code !== null);
    const afterKill = outcomes.filter((o) => o.at > killedAt + 1000);
    const summary = {
      requests: outcomes.length,
      beforeKill: { total: before.length, byR1: before.filter((o) => o.by === 'r1').length, byR2: before.filter((o) => o.by === 'r2').length },
      failed: failed.map((o) => `${o.kind} HTTP ${o.status}${o.code ? ` ${o.code}` : ''} at +${Math.round(o.at - killedAt)} ms`),
      afterKill: { total: afterKill.length, ok: afterKill.filter((o) => o.status === 200 && o.code === null).length },
      enrollmentsAcknowledged: acknowledged.length,
      acknowledgedByR2: acknowledged.filter((a) => a.by === 'r2').length,
    };
    console.info(`[scale] replica r2 SIGKILLed during load: ${JSON.stringify(summary)}`);
    expect(summary.beforeKill.byR1).toBeGreaterThan(0);
    expect(summary.beforeKill.byR2).toBeGreaterThan(0);
    // Only what was in flight on r2 fails, and only with nginx's 502 (a POST already sent is not retried).
    for (const o of failed) {
      expect(o.status).toBe(502);
      expect(o.at).toBeGreaterThanOrEqual(killedAt - 50);
      expect(o.at).toBeLessThan(killedAt + 1000);
    }
    expect(failed.length).toBeLessThanOrEqual(4);
    // From a second after the kill, r1 answers everything.
    expect(summary.afterKill.total).toBeGreaterThan(3);
    expect(summary.afterKill.ok).toBe(summary.afterKill.total);
    expect(afterKill.every((o) => o.by === 'r1')).toBe(true);
    // Every acknowledged enrollment is in the database and in r1's index, r2's included.
    expect(summary.acknowledgedByR2).toBeGreaterThan(0);
    for (const a of acknowledged) {
      const s = await call<{ subject: { templateCount: number } }>(r1.url, ADMIN, SUBJECT, { id: a.subjectId });
      expect(s.body.data?.subject.templateCount).toBe(1);
    }
    const inDoubt: number[] = [];
    for (const subjectId of unanswered) {
      const s = await call<{ subject: { templateCount: number } }>(r1.url, ADMIN, SUBJECT, { id: subjectId });
      inDoubt.push(s.body.data?.subject.templateCount ?? -1);
    }
    console.info(`[scale] enrollments answered 502: ${unanswered.length}, templates stored for them: ${JSON.stringify(inDoubt)}`);
    const g = await call<{ gallery: { templateCount: number; indexedTemplates: number } }>(r1.url, ADMIN, GALLERY, { id: galleryId, first: 1 });
    expect(g.body.data?.gallery.indexedTemplates).toBe(g.body.data?.gallery.templateCount);
    // The dead replica's log ends without a drain; r1's shows no error.
    expect(readFileSync(r1.logFile, 'utf8')).not.toMatch(/"level":(50|60)/);
  });
});

describe.runIf(scaleSkipReason !== null && process.env.CI)('scale-out in CI', () => {
  it('has nginx and PostgreSQL to test against', () => {
    throw new Error(`${scaleSkipReason}; .ci/run must install nginx and start PostgreSQL`);
  });
});
