/** Formatting and small page helpers shared by the pages. */

export function ms(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  return value < 10 ? `${value.toFixed(1)} ms` : `${Math.round(value)} ms`;
}

export function fixed(value: number, digits = 3): string {
  return value.toFixed(digits);
}

/** A probability as a percentage, rounded down (0.99996 is "99.9%", never a certain-looking "100.0%"). */
export function percent(value: number): string {
  return `${(Math.floor(value * 1000) / 10).toFixed(1)}%`;
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(0)} KB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MB`;
}

/** Scrolls a freshly rendered result into view (after Solid has rendered it); no animation if the user asked for less motion. */
export function revealResult(id: string): void {
  requestAnimationFrame(() => {
    const reduce = window.matchMedia('(prefers-reduced-motion: reduce)').matches;
    document.getElementById(id)?.scrollIntoView({ block: 'start', behavior: reduce ? 'auto' : 'smooth' });
  });
}
