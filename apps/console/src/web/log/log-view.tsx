import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { JobStepView } from '../../shared/api-types.ts';
import { StateBadge } from '../ui/state-badge.tsx';
import type { LogLine, LogModel } from './create-log-model.ts';
import { maxLoadedLines } from './use-job-log.tsx';

/** Height of a line in px (fixed: only the visible lines are in the page). */
const lineHeight = 18;
/** Lines rendered above and below the visible ones. */
const overscan = 40;
/** Characters of one line rendered; a longer line says how much it left out. */
const maxLineChars = 20_000;

const streamLabels = { stdout: 'out', stderr: 'err', system: 'sys' } as const;

function Line(props: { line: LogLine }) {
  const { line } = props;
  let left = maxLineChars;
  const cut = line.segments.reduce((n, s) => n + s.text.length, 0) - maxLineChars;
  return (
    <div class={`line ${line.stream}${line.section ? ' section' : ''}`}>
      <span class="gutter" aria-hidden="true">{streamLabels[line.stream]}</span>
      {line.stream !== 'stdout' && <span class="visually-hidden">{line.stream}: </span>}
      <span class="text">
        {line.segments.map((s, i) => {
          if (left <= 0) return null;
          const text = s.text.length > left ? s.text.slice(0, left) : s.text;
          left -= text.length;
          return s.classes || s.color || s.background ? (
            <span key={i} class={s.classes} style={{ color: s.color, background: s.background }}>{text}</span>
          ) : text;
        })}
      </span>
      {cut > 0 && <span class="cut"> … {cut} more characters (download the raw log)</span>}
    </div>
  );
}

/**
 * The log, virtualized: only the lines in view (and a margin) are in the page, so a page of
 * hundreds of thousands of lines scrolls without freezing. Scrolling near the top loads the
 * page before; at the bottom it sticks to the end while the log grows.
 */
export function LogView(props: {
  model: LogModel; version: number; hasEarlier: boolean; following: boolean; onLoadEarlier: () => Promise<number>;
  /** The job's steps: each a section of the log, shown alone when selected (`undefined`: the whole log). */
  steps?: JobStepView[]; step?: number; onStep?: (step: number | undefined) => void;
}) {
  const { model } = props;
  const box = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(600);
  const atBottom = useRef(true);
  const loading = useRef(false);
  const headerLines = 1;
  const total = model.lines.length + headerLines;

  useEffect(() => {
    const element = box.current!;
    const observer = new ResizeObserver(() => setHeight(element.clientHeight));
    observer.observe(element);
    return () => observer.disconnect();
  }, []);

  // New lines at the end: stay at the bottom when the reader was there.
  useLayoutEffect(() => {
    const element = box.current!;
    if (atBottom.current) element.scrollTop = element.scrollHeight;
    setScrollTop(element.scrollTop);
    // A short page leaves nothing to scroll: fetch the one before at once.
    if (element.scrollHeight <= element.clientHeight * 2) void loadEarlier();
  }, [props.version, props.hasEarlier]);

  const loadEarlier = async () => {
    if (loading.current || !props.hasEarlier) return;
    loading.current = true;
    const added = await props.onLoadEarlier();
    const element = box.current;
    // Keep the same lines in view: everything below moved down by the lines put in front.
    if (element && added) element.scrollTop += added * lineHeight;
    loading.current = false;
  };

  const onScroll = () => {
    const element = box.current!;
    atBottom.current = element.scrollHeight - element.scrollTop - element.clientHeight < lineHeight * 2;
    setScrollTop(element.scrollTop);
    if (element.scrollTop < element.clientHeight * 2) void loadEarlier();
  };

  const selected = props.steps?.find((s) => s.index === props.step);
  const first = Math.max(0, Math.floor(scrollTop / lineHeight) - overscan);
  const last = Math.min(total, Math.ceil((scrollTop + height) / lineHeight) + overscan);
  const rows = [];
  for (let i = first; i < last; i++) {
    if (i < headerLines) {
      rows.push(
        <div class="line log-note" key="head">
          {props.hasEarlier ? (model.lines.length > maxLoadedLines ? 'Earlier output is not loaded here: download the raw log.' : 'Scroll up for earlier output…') : selected ? `Start of step ${selected.index} (${selected.name}).` : 'Start of the log.'}
        </div>,
      );
    } else {
      rows.push(<Line key={i} line={model.lines[i - headerLines]!} />);
    }
  }
  const jump = (line: number) => {
    atBottom.current = false;
    box.current!.scrollTop = (line + headerLines) * lineHeight;
  };

  return (
    <section class="log-panel" aria-label="Log">
      {props.steps && props.steps.length > 0 && (
        <nav class="steps" aria-label="Steps of this job">
          <button type="button" class="step-button" aria-pressed={props.step === undefined} onClick={() => props.onStep?.(undefined)}>All output</button>
          {props.steps.map((step) => (
            <button type="button" key={step.index} class="step-button" aria-pressed={props.step === step.index} onClick={() => props.onStep?.(step.index)}>
              <span class="step-index">{step.index}</span> {step.name} <StateBadge state={step.state} />
              {step.exitCode !== null && step.exitCode !== 0 ? <span class="muted"> exit {step.exitCode}</span> : null}
            </button>
          ))}
        </nav>
      )}
      {selected?.kind === 'block' && <p class="note">Step {selected.name} waits for an approval{selected.prompt ? `: ${selected.prompt}` : ''}{selected.approvedBy ? ` (approved by ${selected.approvedBy})` : ''}.</p>}
      <div class="log-tools">
        <span role="status" class="live">{props.following ? 'following live' : 'complete'}</span>
        {model.sections.length > 0 && (
          <label>
            Section{' '}
            <select onChange={(e) => jump(Number((e.target as HTMLSelectElement).value))}>
              <option value="">jump to…</option>
              {model.sections.map((s) => <option key={s.line} value={s.line}>{s.title}</option>)}
            </select>
          </label>
        )}
        <button type="button" onClick={() => ((atBottom.current = true), (box.current!.scrollTop = box.current!.scrollHeight))}>End ↓</button>
      </div>
      <div class="log" ref={box} onScroll={onScroll} tabIndex={0} role="log" aria-label="Job log output" data-lines={model.lines.length}>
        <div style={{ height: `${total * lineHeight}px`, position: 'relative' }}>
          <div class="log-window" style={{ transform: `translateY(${first * lineHeight}px)` }}>{rows}</div>
        </div>
      </div>
    </section>
  );
}
