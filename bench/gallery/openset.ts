/**
 * Open-set identification through the API: enroll one image per gallery person (enrollFaces), search
 * with every probe (identifyFace, topK 5), and score what the API answered. Mated probes are other images
 * of enrolled people; non-mated probes are images of people who were never enrolled.
 *
 * Metrics (ISO/IEC 19795-1 style):
 * - rank-k: share of mated searches whose subject is among the first k candidates (closed set);
 * - FPIR(t): share of non-mated searches whose best candidate scores >= t;
 * - DIR(t) (detection and identification rate): share of mated searches whose best candidate is the right
 *   subject and scores >= t; DIR at FPIR x takes t as the smallest threshold with FPIR(t) <= x;
 * - at the API's own decision (the gallery's threshold and margin): DIR, FPIR, unknowns rejected (not MATCH).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Person } from '../lfw/protocol.js';
import { imagePath } from '../lfw/protocol.js';
import { Progress } from '../lfw/progress.js';
import { CREATE_GALLERY, CREATE_SUBJECT, ENROLL, type GalleryApi, IDENTIFY, mapLimit } from './api.js';

export interface Probe {
  /** The enrolled person the probe shows, or null for a non-mated probe. */
  person: string | null;
  file: string;
}

export interface OpenSetProtocol {
  name: string;
  /** Person and the image enrolled for them. */
  gallery: { person: string; file: string }[];
  probes: Probe[];
}

export interface SearchOutcome {
  person: string | null;
  /** Ranked candidate persons and similarities (topK). */
  candidates: { person: string; similarity: number }[];
  decision: string;
  error: string | null;
}

export interface OpenSetReport {
  protocol: string;
  galleryPeople: number;
  enrolled: number;
  failedToEnroll: Record<string, number>;
  matedSearches: number;
  nonMatedSearches: number;
  probeErrors: Record<string, number>;
  rank1: number;
  rank5: number;
  rank10: number;
  apiDecision: { threshold: number; minMargin: number; dir: number; fpir: number; unknownsRejected: number; ambiguousMated: number; ambiguousNonMated: number };
  atFpir: { fpir: number; threshold: number; dir: number; achievedFpir: number }[];
  seconds: number;
}

export function lfwFile(dataDir: string, name: string, index: number): string {
  return imagePath(dataDir, { name, index });
}

/** Smallest threshold t with FPIR(t) <= target, from the non-mated best scores. */
export function thresholdAtFpir(nonMatedBest: readonly number[], target: number): number {
  const sorted = [...nonMatedBest].sort((a, b) => b - a);
  const allowed = Math.floor(target * sorted.length);
  // Scores >= t count as false positives: t just above the (allowed+1)-th best score.
  const boundary = sorted[allowed];
  return boundary === undefined ? -1 : boundary + 1e-6;
}

export function dirAt(outcomes: readonly SearchOutcome[], threshold: number): number {
  const mated = outcomes.filter((o) => o.person !== null && !o.error);
  const hits = mated.filter((o) => o.candidates[0]?.person === o.person && o.candidates[0]!.similarity >= threshold).length;
  return mated.length ? hits / mated.length : NaN;
}

export function fpirAt(outcomes: readonly SearchOutcome[], threshold: number): number {
  const non = outcomes.filter((o) => o.person === null && !o.error);
  return non.length ? non.filter((o) => (o.candidates[0]?.similarity ?? -2) >= threshold).length / non.length : NaN;
}

/** What an open-set run needs from the gallery: through GraphQL (`graphqlTarget`) or the service with cached embeddings (`serviceTarget`). */
export interface OpenSetTarget {
  createGallery(name: string, matchPolicy: { duplicateThreshold: number }): Promise<{ id: string; identifyThreshold: number; minMargin: number }>;
  /** Creates a subject for `person` and enrolls `file`: the subject's id, or why the image was refused. */
  enroll(galleryId: string, person: string, file: string): Promise<{ subjectId: string } | { reason: string }>;
  identify(galleryId: string, file: string, topK: number): Promise<{ decision: string; candidates: { subjectId: string; similarity: number }[] } | { error: string }>;
}

/** The GraphQL API in-process: every enrollment and search embeds its upload. */
export function graphqlTarget(api: GalleryApi): OpenSetTarget {
  return {
    async createGallery(name, matchPolicy) {
      const { createGallery } = await api.must<{ createGallery: { id: string; matchPolicy: { identifyThreshold: number; minMargin: number } } }>(CREATE_GALLERY, { input: { name, matchPolicy } });
      return { id: createGallery.id, ...createGallery.matchPolicy };
    },
    async enroll(galleryId, person, file) {
      const { createSubject } = await api.must<{ createSubject: { id: string } }>(CREATE_SUBJECT, { g: galleryId, input: { externalId: person } });
      const result = await api.call<{ enrollFaces: { enrolled: unknown[]; rejected: { reason: string }[] } }>(ENROLL, { s: createSubject.id }, { 'images.0': readFileSync(file) });
      if (result.data?.enrollFaces.enrolled.length === 1) return { subjectId: createSubject.id };
      return { reason: result.errors?.[0]?.extensions?.code ?? result.data?.enrollFaces.rejected[0]?.reason ?? 'UNKNOWN' };
    },
    async identify(galleryId, file, topK) {
      const result = await api.call<{ identifyFace: { decision: string; candidates: { similarity: number; subject: { id: string } }[] } }>(IDENTIFY, { g: galleryId, k: topK }, { probe: readFileSync(file) });
      if (!result.data?.identifyFace) return { error: result.errors?.[0]?.extensions?.code ?? 'UNKNOWN' };
      return { decision: result.data.identifyFace.decision, candidates: result.data.identifyFace.candidates.map((c) => ({ subjectId: c.subject.id, similarity: c.similarity })) };
    },
  };
}

export async function runOpenSet(target: OpenSetTarget, protocol: OpenSetProtocol, options: { concurrency: number; fpirs: number[]; duplicateThreshold?: number }): Promise<{ report: OpenSetReport; outcomes: SearchOutcome[] }> {
  const started = performance.now();
  // Every LFW name is a different person: the enrollment duplicate check (on by default) is switched off
  // so that look-alikes stay enrolled, as the protocol wants; the decision policy stays the default.
  const policy = await target.createGallery(`${protocol.name}-${Date.now()}`, { duplicateThreshold: options.duplicateThreshold ?? 1.0001 });
  const galleryId = policy.id;
  const subjectOf = new Map<string, string>();
  const personOf = new Map<string, string>();
  const failedToEnroll: Record<string, number> = {};
  const enrollBar = new Progress(`${protocol.name}: enroll`, protocol.gallery.length);
  await mapLimit(protocol.gallery, options.concurrency, async ({ person, file }) => {
    const result = await target.enroll(galleryId, person, file);
    if ('subjectId' in result) {
      subjectOf.set(person, result.subjectId);
      personOf.set(result.subjectId, person);
    } else failedToEnroll[result.reason] = (failedToEnroll[result.reason] ?? 0) + 1;
    enrollBar.tick();
  });

  // Probes of people who could not be enrolled are dropped from the mated set (counted as failures to enroll).
  const probes = protocol.probes.filter((p) => p.person === null || subjectOf.has(p.person));
  const probeErrors: Record<string, number> = {};
  const searchBar = new Progress(`${protocol.name}: identify`, probes.length);
  const outcomes = await mapLimit(probes, options.concurrency, async (probe): Promise<SearchOutcome> => {
    const result = await target.identify(galleryId, probe.file, 10);
    searchBar.tick();
    if ('error' in result) {
      probeErrors[result.error] = (probeErrors[result.error] ?? 0) + 1;
      return { person: probe.person, candidates: [], decision: 'ERROR', error: result.error };
    }
    return {
      person: probe.person,
      candidates: result.candidates.map((c) => ({ person: personOf.get(c.subjectId) ?? '?', similarity: c.similarity })),
      decision: result.decision,
      error: null,
    };
  });

  const mated = outcomes.filter((o) => o.person !== null && !o.error);
  const non = outcomes.filter((o) => o.person === null && !o.error);
  const rankK = (k: number): number => mated.filter((o) => o.candidates.slice(0, k).some((c) => c.person === o.person)).length / mated.length;
  const nonBest = non.map((o) => o.candidates[0]?.similarity ?? -2);
  const report: OpenSetReport = {
    protocol: protocol.name,
    galleryPeople: protocol.gallery.length,
    enrolled: subjectOf.size,
    failedToEnroll,
    matedSearches: mated.length,
    nonMatedSearches: non.length,
    probeErrors,
    rank1: rankK(1),
    rank5: rankK(5),
    rank10: rankK(10),
    apiDecision: {
      threshold: policy.identifyThreshold,
      minMargin: policy.minMargin,
      dir: mated.filter((o) => o.decision === 'MATCH' && o.candidates[0]?.person === o.person).length / mated.length,
      fpir: non.filter((o) => o.decision === 'MATCH').length / non.length,
      unknownsRejected: non.filter((o) => o.decision !== 'MATCH').length / non.length,
      ambiguousMated: mated.filter((o) => o.decision === 'AMBIGUOUS').length,
      ambiguousNonMated: non.filter((o) => o.decision === 'AMBIGUOUS').length,
    },
    atFpir: options.fpirs.map((fpir) => {
      const threshold = thresholdAtFpir(nonBest, fpir);
      return { fpir, threshold, dir: dirAt(outcomes, threshold), achievedFpir: fpirAt(outcomes, threshold) };
    }),
    seconds: (performance.now() - started) / 1000,
  };
  return { report, outcomes };
}

export function pct(x: number, digits = 2): string {
  return Number.isFinite(x) ? `${(x * 100).toFixed(digits)}%` : 'n/a';
}

export function peopleWith(people: readonly Person[], min: number): Person[] {
  return people.filter((p) => p.count >= min);
}

export const reportsDir = path.resolve('reports');
