import { useEffect, useState } from 'react';
import { ActionForm, useAction } from '../action';
import { api } from '../api';
import { useSession } from '../session';
import { ErrorLine, Json, Section } from '../ui';

const POLL_MS = 2000;

type RunView = { state?: string } & Record<string, unknown>;

/** Starts an improvement run (POST /improve) and follows its record (GET /improvements/:runId) until it ends. */
export function ImprovePanel({ module }: { module: string }) {
  const { token } = useSession();
  const [goal, setGoal] = useState('');
  const [runId, setRunId] = useState<string>();
  const [run, setRun] = useState<RunView>();
  const polling = useAction();

  useEffect(() => {
    if (!runId) return;
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = () =>
      polling.run(async () => {
        const view = await api<RunView>(token, 'GET', `/improvements/${encodeURIComponent(runId)}`);
        if (!live) return;
        setRun(view);
        if (view.state !== 'finished') timer = setTimeout(poll, POLL_MS);
      });
    void poll();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [token, runId, polling.run]);

  return (
    <Section title="Improve">
      <ActionForm
        onSubmit={async () => {
          const path = `/modules/${encodeURIComponent(module)}/improve`;
          setRunId((await api<{ runId: string }>(token, 'POST', path, { goal })).runId);
        }}
      >
        <label>
          Goal
          <textarea name="improve-goal" rows={2} value={goal} onChange={(e) => setGoal(e.target.value)} />
        </label>
        <button type="submit">Start improvement</button>
      </ActionForm>
      <ErrorLine error={polling.error} />
      {run ? <Json value={run} label="improvement run" /> : null}
    </Section>
  );
}
