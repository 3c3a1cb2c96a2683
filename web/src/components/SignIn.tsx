/**
 * Sign-in by token paste (a JWT from the identity provider, or an API key `jwk_...`): kept in this
 * browser and sent as Authorization on every engine request (api/client.ts). Hidden when the engine
 * has no users (single-user) or is in public mode (no /auth/me).
 */
import { useEffect, useState, type FormEvent } from 'react';
import { AUTH_CHANGED, ApiError, getJson, getToken, setToken } from '../api/client.js';
import type { Me } from '../api/types.js';

/** Who is signed in (refreshed when the token changes); null until known or when there are no users. */
export function useMe(): Me | null {
  const [me, setMe] = useState<Me | null>(null);
  useEffect(() => {
    let live = true;
    const load = () => {
      getJson<Me>('/auth/me').then(
        (m) => live && setMe(m),
        (err: unknown) => {
          if (!live) return;
          // A stored token that no longer works: signed out, the engine still answers anonymously.
          if (err instanceof ApiError && err.status === 401 && getToken()) setToken(null);
          else setMe(null);
        },
      );
    };
    load();
    window.addEventListener(AUTH_CHANGED, load);
    return () => {
      live = false;
      window.removeEventListener(AUTH_CHANGED, load);
    };
  }, []);
  return me;
}

export function SignIn({ me }: { me: Me | null }) {
  const [open, setOpen] = useState(false);
  const [text, setText] = useState('');
  const [error, setError] = useState<string | null>(null);
  if (!me?.authEnabled) return null;
  if (me.user) {
    return (
      <div className="row signin" style={{ gap: 8, alignItems: 'center', marginLeft: 'auto' }}>
        <span>Signed in as <strong>{me.user.username ?? me.user.userId}</strong>{me.user.admin ? ' (Admin)' : ''}</span>
        <button type="button" onClick={() => setToken(null)}>Sign out</button>
      </div>
    );
  }
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const token = text.trim();
    if (!token) return;
    setError(null);
    setToken(token);
    try {
      const who = await getJson<Me>('/auth/me');
      if (!who.user) throw new ApiError(401, 'Invalid or expired token');
      setText('');
      setOpen(false);
    } catch (err) {
      setToken(null);
      setError(err instanceof ApiError ? err.detail : String(err));
    }
  };
  return (
    <div className="signin" style={{ marginLeft: 'auto' }}>
      {!open ? (
        <button type="button" onClick={() => setOpen(true)}>Sign in</button>
      ) : (
        <form className="row" style={{ gap: 6, alignItems: 'center' }} onSubmit={(e) => void submit(e)}>
          <label htmlFor="token">Access token</label>
          <input id="token" type="password" autoComplete="off" value={text} onChange={(e) => setText(e.target.value)} placeholder="JWT or jwk_… API key" />
          <button type="submit" className="primary">Sign in</button>
          <button type="button" onClick={() => setOpen(false)}>Cancel</button>
          {error && <span className="error" role="alert">{error}</span>}
        </form>
      )}
    </div>
  );
}
