import type { ComponentChildren } from 'preact';

/** A name and what it says, as a header shows it. */
export type Fact = [name: string, value: ComponentChildren];

/** The facts of a thing (a job, a pipeline) as a grid of names and values, and its error, when it has one. */
export function Facts(props: { facts: Fact[]; error?: string }) {
  return (
    <>
      <dl class="facts">
        {props.facts.map(([name, value]) => (
          <div key={name}><dt>{name}</dt><dd>{value}</dd></div>
        ))}
      </dl>
      {props.error && <p class="error" role="note"><strong>Error:</strong> {props.error}</p>}
    </>
  );
}
