/** Regenerates deploy/nginx/nginx.conf from bench/scale/nginx.ts: `npx tsx bench/scale/write-nginx-conf.ts`. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { COMPOSE_NGINX_CONF, COMPOSE_NGINX_OPTIONS, renderNginxConfig } from './nginx.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
writeFileSync(path.join(repoRoot, COMPOSE_NGINX_CONF), renderNginxConfig(COMPOSE_NGINX_OPTIONS));
console.log(`wrote ${COMPOSE_NGINX_CONF}`);
