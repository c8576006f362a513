/** The movement challenge's prompt, progress, guidance and outcome on the Live page. */
import { createSignal, For, onCleanup, Show, type JSX } from 'solid-js';
import type { LiveVerificationSubscription } from '../gql/graphql';
import { guidanceText, instructionText, reasonText, resultText } from '../lib/challenge';

type Progress = NonNullable<LiveVerificationSubscription['liveVerification']['challenge']>;

export function ChallengePanel(props: { progress: Progress | null }): JSX.Element {
  const [now, setNow] = createSignal(Date.now());
  const timer = setInterval(() => setNow(Date.now()), 200);
  onCleanup(() => clearInterval(timer));
  const secondsLeft = (): number | null => {
    const deadline = props.progress?.deadline;
    return deadline ? Math.max(0, Math.ceil((Date.parse(deadline) - now()) / 1000)) : null;
  };
  const prompt = (): string => {
    const p = props.progress;
    if (!p) return 'Look at the camera';
    if (p.outcome) return resultText(p.outcome.result);
    if (p.state === 'STEP' && p.instruction) return instructionText(p.instruction);
    if (p.state === 'WAITING') return 'Hold still, looking at the camera…';
    return 'Look at the camera';
  };
  const outcomeClass = (): string | undefined => {
    const r = props.progress?.outcome?.result;
    return r === 'CHALLENGE_PASSED' ? 'is-match' : r ? 'is-nomatch' : undefined;
  };
  return (
    <section class="challenge" aria-label="Movement challenge">
      <p class={`challenge-prompt ${outcomeClass() ?? ''}`} data-testid="challenge-prompt" aria-live="assertive">
        {prompt()}
      </p>
      <Show when={props.progress && !props.progress.outcome}>
        <p class="muted" data-testid="challenge-progress">
          {props.progress!.state === 'BASELINE' ? 'Getting ready' : `Step ${props.progress!.step} of ${props.progress!.steps}`}
          <Show when={secondsLeft() !== null}> · {secondsLeft()} s left</Show>
        </p>
      </Show>
      <Show when={(props.progress?.guidance.length ?? 0) > 0}>
        <ul class="challenge-guidance" data-testid="challenge-guidance">
          <For each={props.progress!.guidance}>{(g) => <li>{guidanceText(g)}</li>}</For>
        </ul>
      </Show>
      <Show when={props.progress?.outcome}>
        {(o) => (
          <div data-testid="challenge-outcome" data-result={o().result}>
            <p>
              {o().completedSteps} of {o().steps.length} steps done.
            </p>
            <Show when={o().reasons.length > 0}>
              <p class="note">Why: {o().reasons.map(reasonText).join('; ')}.</p>
            </Show>
          </div>
        )}
      </Show>
    </section>
  );
}
