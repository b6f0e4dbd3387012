import { useState } from 'react';
import { ActionForm } from '../action';
import { api } from '../api';
import { useSession } from '../session';
import { Section } from '../ui';

/** Admins and agents submit a candidate; the pipeline decides (follow it here or on the Pipeline page). */
export function SubmitPanel({ module, onSubmitted }: { module: string; onSubmitted: () => void }) {
  const { token } = useSession();
  const [source, setSource] = useState('');
  const [rationale, setRationale] = useState('');
  const [activate, setActivate] = useState(true);
  const [submitted, setSubmitted] = useState<number>();
  return (
    <Section title="Submit a candidate">
      <ActionForm
        onSubmit={async () => {
          const result = await api<{ seq: number }>(
            token,
            'POST',
            `/modules/${encodeURIComponent(module)}/versions`,
            {
              source,
              ...(rationale ? { rationale } : {}),
              activate,
            },
          );
          setSubmitted(result.seq);
          onSubmitted();
        }}
      >
        <label>
          Source
          <textarea
            name="candidate-source"
            rows={6}
            value={source}
            onChange={(e) => setSource(e.target.value)}
          />
        </label>
        <label>
          Rationale
          <input
            name="candidate-rationale"
            value={rationale}
            onChange={(e) => setRationale(e.target.value)}
          />
        </label>
        <label className="inline">
          <input type="checkbox" checked={activate} onChange={(e) => setActivate(e.target.checked)} />{' '}
          activate when the gates pass
        </label>
        <button type="submit">Submit candidate</button>
      </ActionForm>
      {submitted !== undefined ? <p data-testid="submitted">Submitted as #{submitted}.</p> : null}
    </Section>
  );
}
