/**
 * The similarity against the threshold on a 0..1 scale (cosine similarity can be negative; it is shown
 * as 0). The fill is coloured by the decision; the threshold is a marked tick. The numbers are also in
 * the accessible value text, so colour is never the only carrier.
 */
import type { JSX } from 'solid-js';
import { fixed } from '../lib/format';

export interface GaugeProps {
  value: number;
  threshold: number;
  match: boolean;
}

const clamp01 = (v: number): number => Math.min(1, Math.max(0, v));

export function Gauge(props: GaugeProps): JSX.Element {
  const pct = (v: number): string => `${(clamp01(v) * 100).toFixed(2)}%`;
  return (
    <div
      class="gauge"
      classList={{ 'is-match': props.match, 'is-nomatch': !props.match }}
      role="meter"
      aria-label="Similarity"
      aria-valuemin={0}
      aria-valuemax={1}
      aria-valuenow={clamp01(props.value)}
      aria-valuetext={`similarity ${fixed(props.value)}, threshold ${fixed(props.threshold)}`}
    >
      <div class="gauge-track">
        <div class="gauge-fill" style={{ width: pct(props.value) }} />
        <div class="gauge-threshold" style={{ left: pct(props.threshold) }} title={`threshold ${fixed(props.threshold)}`} />
      </div>
      <div class="gauge-scale" aria-hidden="true">
        <span>0</span>
        <span class="gauge-threshold-label" style={{ left: pct(props.threshold) }}>
          threshold {fixed(props.threshold, 2)}
        </span>
        <span>1</span>
      </div>
    </div>
  );
}
