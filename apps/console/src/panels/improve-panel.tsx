import { useEffect, useState } from 'react';
import { ActionForm, useAction } from '../action';
import { api } from '../api';
import { useSession } from '../session';
import { ErrorLine, Json, Section } from '../ui';

const POLL_MS = 2000;

type JobView = { state?: string } & Record<string, unknown>;

/** Starts an improvement by the agent (POST /improve) and follows its job (GET /jobs/:id) until it ends. */
export function ImprovePanel({ module }: { module: string }) {
  const { token } = useSession();
  const [goal, setGoal] = useState('');
  const [jobId, setJobId] = useState<string>();
  const [job, setJob] = useState<JobView>();
  const polling = useAction();

  useEffect(() => {
    if (!jobId) return;
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = () =>
      polling.run(async () => {
        const view = await api<JobView>(token, 'GET', `/jobs/${jobId}`);
        if (!live) return;
        setJob(view);
        if (view.state !== 'completed' && view.state !== 'failed') timer = setTimeout(poll, POLL_MS);
      });
    void poll();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [token, jobId, polling.run]);

  return (
    <Section title="Improve">
      <ActionForm
        onSubmit={async () => {
          const path = `/modules/${encodeURIComponent(module)}/improve`;
          setJobId((await api<{ jobId: string }>(token, 'POST', path, { goal })).jobId);
        }}
      >
        <label>
          Goal
          <textarea name="improve-goal" rows={2} value={goal} onChange={(e) => setGoal(e.target.value)} />
        </label>
        <button type="submit">Start improvement</button>
      </ActionForm>
      <ErrorLine error={polling.error} />
      {job ? <Json value={job} label="improvement job" /> : null}
    </Section>
  );
}
