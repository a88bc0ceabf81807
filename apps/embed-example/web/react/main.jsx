import { useState } from 'react';
import { createRoot } from 'react-dom/client';
import { AuditLogPanel } from './AuditLogPanel.jsx';

/** The host's admin area, with the audit log as one of its pages. */
function AdminPage() {
  const [theme, setTheme] = useState('light');
  const dark = theme === 'dark';
  return (
    <div
      style={{
        minHeight: '100vh',
        background: dark ? '#1d2125' : '#f5f3ff',
        fontFamily: 'system-ui, sans-serif',
      }}
    >
      <header
        style={{
          display: 'flex',
          justifyContent: 'space-between',
          padding: '12px 24px',
          background: '#2e1f6b',
          color: '#fff',
        }}
      >
        <strong>Example Co admin</strong>
        <label>
          Theme{' '}
          <select value={theme} onChange={(e) => setTheme(e.target.value)}>
            <option value="light">Light</option>
            <option value="dark">Dark</option>
          </select>
        </label>
      </header>
      <main
        style={{
          maxWidth: 1200,
          margin: '0 auto',
          padding: '16px 24px',
          color: dark ? '#dee4ea' : '#1f1646',
        }}
      >
        <AuditLogPanel theme={theme} />
      </main>
    </div>
  );
}

createRoot(document.getElementById('root')).render(<AdminPage />);
