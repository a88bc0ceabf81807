import { useCallback, useEffect, useRef, useState } from 'react';

/** Asks our own backend for a viewer token for the signed-in user's org. */
async function fetchViewerToken() {
  const res = await fetch('/api/audit-viewer-token', { credentials: 'same-origin' });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return res.json();
}

/**
 * The audit log inside a React page: AuditKit's <auditkit-log> custom element, opened with a
 * viewer token that our backend mints. React 19 passes the props on as attributes.
 */
export function AuditLogPanel({ theme = 'light', columns = 'targets' }) {
  const [viewer, setViewer] = useState(null);
  const [error, setError] = useState(null);
  const ref = useRef(null);

  useEffect(() => {
    let live = true;
    fetchViewerToken()
      .then((v) => live && setViewer(v))
      .catch((e) => live && setError(e.message));
    return () => {
      live = false;
    };
  }, []);

  // The token is short-lived: when the viewer reports it ran out, mint another.
  const renew = useCallback(async () => {
    const next = await fetchViewerToken();
    setViewer((v) => ({ ...v, token: next.token }));
  }, []);
  useEffect(() => {
    const node = ref.current;
    if (!node) return undefined;
    node.addEventListener('auditkit-unauthorized', renew);
    return () => node.removeEventListener('auditkit-unauthorized', renew);
  }, [viewer !== null, renew]);

  if (error) return <p role="alert">The audit log could not be opened ({error}).</p>;
  if (!viewer) return <p role="status">Loading the audit log…</p>;
  return (
    <auditkit-log
      ref={ref}
      org={viewer.org}
      token={viewer.token}
      theme={theme}
      columns={columns}
      style={{ '--auditkit-color-primary': '#5b3fd4', '--auditkit-radius': '8px' }}
    />
  );
}
