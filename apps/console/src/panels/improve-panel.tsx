import { useEffect, useState } from 'react';
import { api, describeError } from '../api';
import { useSession } from '../session';
import { ErrorLine, Json, Section } from '../ui';

const POLL_MS = 2000;

/** Starts an improvement by the agent (POST /improve) and follows its job (GET /jobs/:id) until it ends. */
export function ImprovePanel({ module }: { module: string }) {
  const { token } = useSession();
  const [goal, setGoal] = useState('');
  const [jobId, setJobId] = useState<string>();
  const [job, setJob] = useState<{ state?: string } & Record<string, unknown>>();
  const [error, setError] = useState<string>();

  useEffect(() => {
    if (!jobId) return;
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      try {
        const view = await api<{ state?: string } & Record<string, unknown>>(token, 'GET', `/jobs/${jobId}`);
        if (!live) return;
        setJob(view);
        if (view.state !== 'completed' && view.state !== 'failed') timer = setTimeout(poll, POLL_MS);
      } catch (e) {
        if (live) setError(describeError(e));
      }
    };
    void poll();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [token, jobId]);

  return (
    <Section title="Improve">
      <form
        className="stack"
        onSubmit={async (event) => {
          event.preventDefault();
          setError(undefined);
          try {
            const started = await api<{ jobId: string }>(
              token,
              'POST',
              `/modules/${encodeURIComponent(module)}/improve`,
              {
                goal,
              },
            );
            setJobId(started.jobId);
          } catch (e) {
            setError(describeError(e));
          }
        }}
      >
        <label>
          Goal
          <textarea name="improve-goal" rows={2} value={goal} onChange={(e) => setGoal(e.target.value)} />
        </label>
        <button type="submit">Start improvement</button>
      </form>
      <ErrorLine error={error} />
      {job ? <Json value={job} label="improvement job" /> : null}
    </Section>
  );
}
