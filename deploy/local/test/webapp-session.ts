import assert from 'node:assert/strict';

/** Logs in through the webapp's JSON login (session cookie + CSRF token); returns the cookie. */
export async function signIn(webapp: string, username: string, password: string): Promise<string> {
  const session = await fetch(`${webapp}/session`);
  const cookie = (session.headers.get('set-cookie') ?? '').split(';')[0];
  const { csrf_token } = (await session.json()) as { csrf_token: string };
  const response = await fetch(`${webapp}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-csrf-token': csrf_token, cookie },
    body: JSON.stringify({ username, password }),
  });
  assert.equal(response.status, 200, `login as ${username}: ${await response.clone().text()}`);
  return (response.headers.get('set-cookie') ?? cookie).split(';')[0];
}
