import { useState } from 'preact/hooks';

/** Asks for a bearer token (a JOBMESH_TOKENS_FILE line's token); kept in this tab's sessionStorage only. */
export function TokenForm(props: { problem: string; onToken: (token: string) => void }) {
  const [token, setToken] = useState('');
  return (
    <main class="page narrow" id="main">
      <h1>Sign in with a token</h1>
      <p>
        This orchestrator asks for a bearer token (<code>JOBMESH_TOKENS_FILE</code> is set). Paste one of its tokens; the console
        sends it as an <code>Authorization: Bearer</code> header with each request and keeps it only in this browser tab.
      </p>
      {props.problem && <p class="error" role="alert">The token was refused: {props.problem}</p>}
      <form
        class="token-form"
        onSubmit={(event) => {
          event.preventDefault();
          if (token.trim()) props.onToken(token.trim());
        }}
      >
        <label for="token">Token</label>
        <input id="token" name="token" type="password" autocomplete="off" value={token} onInput={(e) => setToken((e.target as HTMLInputElement).value)} required />
        <button type="submit">Sign in</button>
      </form>
    </main>
  );
}
