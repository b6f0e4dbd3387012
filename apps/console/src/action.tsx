import { useCallback, useState, type ReactNode } from 'react';
import { describeError } from './api';
import { ErrorLine } from './ui';

/** Runs an action (a request and what follows it) and keeps the error it failed with, for the panel to show. */
export function useAction() {
  const [error, setError] = useState<string>();
  const run = useCallback(async (work: () => Promise<void>) => {
    setError(undefined);
    try {
      await work();
    } catch (e) {
      setError(describeError(e));
    }
  }, []);
  return { error, run };
}

/** A form whose submit runs one action; its error shows under it. */
export function ActionForm({ onSubmit, children }: { onSubmit: () => Promise<void>; children: ReactNode }) {
  const { error, run } = useAction();
  return (
    <>
      <form
        className="stack"
        onSubmit={(event) => {
          event.preventDefault();
          void run(onSubmit);
        }}
      >
        {children}
      </form>
      <ErrorLine error={error} />
    </>
  );
}
