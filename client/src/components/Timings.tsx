/** Per-stage server timings of one image, as a compact definition list. */
import { Show, type JSX } from 'solid-js';
import type { StageTimingFieldsFragment } from '../gql/graphql';
import { ms } from '../lib/format';

export function StageTimings(props: { timings: StageTimingFieldsFragment; caption?: string }): JSX.Element {
  return (
    <div class="timings">
      <Show when={props.caption}>
        <p class="timings-caption">{props.caption}</p>
      </Show>
      <dl>
        <dt>decode</dt>
        <dd>{ms(props.timings.decodeMs)}</dd>
        <dt>queue</dt>
        <dd>{ms(props.timings.queueMs)}</dd>
        <dt>detect</dt>
        <dd>{ms(props.timings.detectMs)}</dd>
        <Show when={props.timings.alignMs != null}>
          <dt>align</dt>
          <dd>{ms(props.timings.alignMs)}</dd>
        </Show>
        <Show when={props.timings.embedMs != null}>
          <dt>embed</dt>
          <dd>{ms(props.timings.embedMs)}</dd>
        </Show>
        <dt>total</dt>
        <dd>{ms(props.timings.totalMs)}</dd>
      </dl>
    </div>
  );
}
