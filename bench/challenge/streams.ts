/** The attack streams of bench:challenge (and its always-run test subset), as base64 JPEG frames. */
import type { RgbImage } from '../../models/types.js';
import { fromJpeg, perturbedStill, seededRandom, tiltedPrint, toJpeg } from './frames.js';

export const ATTACKS = ['still', 'perturbed', 'print', 'slideshow'] as const;
export type AttackKind = (typeof ATTACKS)[number];

/** Enough frames for a whole challenge at `fps` without repeating (12 s; longer sessions cycle them). */
const SECONDS = 12;

async function jpeg64(image: RgbImage): Promise<string> {
  return (await toJpeg(image, 85)).toString('base64');
}

/** `photos[0]` is the attacked person's photo (also the session's reference); slideshows use them all. */
export async function attackFrames(kind: AttackKind, photos: readonly Buffer[], fps: number, seed: number): Promise<string[]> {
  const random = seededRandom(seed);
  const count = Math.round(SECONDS * fps);
  const photo = await fromJpeg(photos[0]!);
  switch (kind) {
    case 'still':
      return [photos[0]!.toString('base64')];
    case 'perturbed':
      return Promise.all(Array.from({ length: count }, async () => jpeg64(await perturbedStill(photo, random))));
    case 'print': {
      const frames: string[] = [];
      for (let k = 0; k < count; k++) {
        const t = k / fps;
        // Tilted back and forth (period 2.4 s) about both axes, as someone turning a photo or a phone.
        const yaw = 40 * Math.sin((2 * Math.PI * t) / 2.4);
        const pitch = 20 * Math.sin((2 * Math.PI * t) / 3.1);
        frames.push(await jpeg64(await perturbedStill(tiltedPrint(photo, yaw, pitch), random, 0.5)));
      }
      return frames;
    }
    case 'slideshow': {
      const images = await Promise.all(photos.map((p) => fromJpeg(p)));
      const perPhoto = Math.round(fps / 2);
      return Promise.all(Array.from({ length: count }, async (_, k) => jpeg64(await perturbedStill(images[Math.floor(k / perPhoto) % images.length]!, random, 0.5))));
    }
  }
}
