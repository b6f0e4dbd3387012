import { useState } from 'react';
import { ActionForm } from '../action';
import { api } from '../api';
import { useSession } from '../session';
import { Json, Section } from '../ui';

/** JSON in, the active version's output and logs out (every role may invoke). */
export function InvokePanel({ module }: { module: string }) {
  const { token } = useSession();
  const [input, setInput] = useState('{}');
  const [result, setResult] = useState<unknown>();
  return (
    <Section title="Invoke">
      <ActionForm
        onSubmit={async () => {
          setResult(undefined);
          const body = { input: JSON.parse(input) as unknown, debug: true };
          setResult(await api(token, 'POST', `/modules/${encodeURIComponent(module)}/invoke`, body));
        }}
      >
        <label>
          Input (JSON)
          <textarea name="invoke-input" rows={3} value={input} onChange={(e) => setInput(e.target.value)} />
        </label>
        <button type="submit">Invoke</button>
      </ActionForm>
      {result !== undefined ? <Json value={result} label="invoke result" /> : null}
    </Section>
  );
}
