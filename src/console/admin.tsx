import type { Session } from './api';
import { Accounts } from './admin-accounts';
import { AuditLog } from './admin-audit';
import { translator, type AdminProps } from './admin-common';
import { ApiKeys } from './admin-keys';
import { ADMIN_TABS, href, type AdminTab } from './router';

/** Keys, accounts and the audit log, each at its own address; for admins only. */
export function Admin({ lang, session, tab, onSignedOut }: AdminProps & { session: Session; tab: AdminTab }) {
  const t = translator(lang);
  if (session.operator.role !== 'admin') {
    return (
      <p class="error" role="alert">
        {t('admin.only')}
      </p>
    );
  }
  return (
    <div class="admin">
      <h1>{t('admin.heading')}</h1>
      <nav class="tabs" aria-label={t('admin.sections')}>
        {ADMIN_TABS.map((name) => (
          <a key={name} href={href({ page: 'admin', tab: name })} aria-current={tab === name ? 'page' : undefined}>
            {t(`admin.tab.${name}`)}
          </a>
        ))}
      </nav>
      {tab === 'keys' && <ApiKeys lang={lang} onSignedOut={onSignedOut} />}
      {tab === 'operators' && <Accounts lang={lang} onSignedOut={onSignedOut} self={session.operator.id} />}
      {tab === 'audit' && <AuditLog lang={lang} onSignedOut={onSignedOut} />}
    </div>
  );
}
