/** LFW people for the challenge benches: a seeded, repeatable draw of people with enough images. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseNames, type Person } from '../lfw/protocol.js';
import { seededRandom } from './frames.js';

export function drawPeople(lfwDir: string, count: number, minImages: number, seed: number): Person[] {
  const people = parseNames(readFileSync(path.join(lfwDir, 'lfw-names.txt'), 'utf8')).filter((p) => p.count >= minImages);
  const random = seededRandom(seed);
  for (let i = people.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [people[i], people[j]] = [people[j]!, people[i]!];
  }
  return people.slice(0, count);
}
