import { parseBusMessage } from './bus-events';

describe('parseBusMessage', () => {
  const at = '2026-12-01T00:00:00.000Z';

  it('keeps module events with a module and token events with a token, and nothing malformed', () => {
    const revoked = { type: 'token.revoked', token: 'ci-bot', node: 'a', at };
    expect(parseBusMessage(JSON.stringify(revoked))).toEqual(revoked);
    const deleted = { type: 'module.deleted', module: 'greet', node: 'a', at };
    expect(parseBusMessage(JSON.stringify(deleted))).toEqual(deleted);
    for (const bad of [
      { type: 'token.revoked', module: 'greet', node: 'a', at },
      { type: 'module.deleted', token: 'ci-bot', node: 'a', at },
      { type: 'token.stolen', token: 'ci-bot', node: 'a', at },
    ])
      expect(parseBusMessage(JSON.stringify(bad))).toBeNull();
    expect(parseBusMessage('not json')).toBeNull();
  });
});
