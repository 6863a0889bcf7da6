import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { api, type Site } from './api';
import { translate, type MessageKey } from './i18n';
import { type EditorProps, FormActions, formFailure } from './site-page';
import { emptySiteForm, formOf, inputOf, type SiteForm } from './site-view';

const FIELDS = Object.keys(emptySiteForm);

/** Add a site, or change one: every field of the directory, each refusal shown beside its input. */
export function SiteFormPanel({ lang, value: site, onSaved, onCancel, onSignedOut }: EditorProps<Site>) {
  const t = (key: MessageKey, params?: Record<string, string | number>) => translate(lang, key, params);
  const [form, setForm] = useState<SiteForm>(site ? formOf(site) : emptySiteForm);
  const [errors, setErrors] = useState<Record<string, string[]>>({});
  const [busy, setBusy] = useState(false);
  const set = (patch: Partial<SiteForm>) => setForm({ ...form, ...patch });

  const submit = (e: Event) => {
    e.preventDefault();
    setBusy(true);
    const input = inputOf(form);
    (site ? api.updateSite(site.id, input) : api.createSite(input))
      .then(onSaved, formFailure(lang, onSignedOut, FIELDS, setErrors))
      .finally(() => setBusy(false));
  };

  /** One labelled input with its hint and the API's refusals, tied to it for screen readers. */
  const field = (name: keyof SiteForm, label: MessageKey, control: (props: Record<string, unknown>) => ComponentChildren, hint?: string) => {
    const id = `site-${name}`;
    const problems = errors[name];
    const described = [hint && `${id}-hint`, problems && `${id}-error`].filter(Boolean).join(' ') || undefined;
    return (
      <div class="field">
        <label for={id}>{t(label)}</label>
        {control({ id, name, 'aria-describedby': described, 'aria-invalid': problems ? 'true' : undefined })}
        {hint && (
          <small id={`${id}-hint`} class="hint">
            {hint}
          </small>
        )}
        {problems && (
          <small id={`${id}-error`} class="error">
            {problems.join('; ')}
          </small>
        )}
      </div>
    );
  };
  const text = (name: keyof SiteForm, label: MessageKey, extra: Record<string, unknown> = {}, hint?: string) =>
    field(name, label, (props) => <input {...props} {...extra} value={form[name] as string} onInput={(e) => set({ [name]: e.currentTarget.value })} />, hint);

  const general = errors[''];
  return (
    <form class="site-form" onSubmit={submit} noValidate aria-labelledby="site-form-heading">
      <h2 id="site-form-heading">{site ? t('form.edit', { name: site.name }) : t('form.add')}</h2>
      {Object.keys(errors).length > 0 && (
        <div class="error" role="alert">
          <p>{t('form.invalid')}</p>
          {general?.map((m) => (
            <p key={m}>{m}</p>
          ))}
        </div>
      )}
      <fieldset>
        <legend>{t('form.identity')}</legend>
        {text('code', 'form.code', { required: true, autocomplete: 'off' })}
        {text('name', 'form.name', { required: true })}
        {field('protocol', 'form.protocol', (props) => (
          <select {...props} value={form.protocol} onChange={(e) => set({ protocol: e.currentTarget.value === 'h323' ? 'h323' : 'sip' })}>
            <option value="sip">SIP</option>
            <option value="h323">H.323</option>
          </select>
        ))}
        <div class="field checkbox">
          <input id="site-enabled" type="checkbox" checked={form.enabled} onChange={(e) => set({ enabled: e.currentTarget.checked })} />
          <label for="site-enabled">{t('form.enabled')}</label>
        </div>
      </fieldset>
      <fieldset>
        <legend>{t('form.connection')}</legend>
        {text('sipUri', 'form.sipUri', { placeholder: 'sip:phong-hop@10.20.1.5' })}
        {text('h323Address', 'form.h323Address')}
        {text('h323Alias', 'form.h323Alias')}
        {text('region', 'form.region', { placeholder: 'mien-bac' }, t('form.region.help'))}
        {text('sipUsername', 'form.sipUsername', { autocomplete: 'off' })}
        {text(
          'sipPassword',
          'form.sipPassword',
          { type: 'password', autocomplete: 'new-password' },
          t(site?.hasSipPassword ? 'form.sipPassword.has' : 'form.sipPassword.none'),
        )}
        {field('allowedNetworks', 'form.allowedNetworks', (props) => (
          <textarea {...props} rows={3} value={form.allowedNetworks} onInput={(e) => set({ allowedNetworks: e.currentTarget.value })} />
        ))}
      </fieldset>
      <fieldset>
        <legend>{t('form.device')}</legend>
        {text('deviceModel', 'form.deviceModel')}
        {text('bandwidthKbps', 'form.bandwidthKbps', { type: 'number', min: 64, max: 20000, step: 1, inputMode: 'numeric' })}
        {field(
          'h264PacketizationMode',
          'form.h264',
          (props) => (
            <select
              {...props}
              value={form.h264PacketizationMode}
              onChange={(e) => set({ h264PacketizationMode: e.currentTarget.value === '0' ? '0' : e.currentTarget.value === '1' ? '1' : '' })}
            >
              <option value="">{t('form.h264.auto')}</option>
              <option value="0">{t('form.h264.0')}</option>
              <option value="1">{t('form.h264.1')}</option>
            </select>
          ),
          t('form.h264.help'),
        )}
      </fieldset>
      <fieldset>
        <legend>{t('form.contact')}</legend>
        {text('contactName', 'form.contactName')}
        {text('contactPhone', 'form.contactPhone', { type: 'tel' })}
      </fieldset>
      <FormActions lang={lang} busy={busy} onCancel={onCancel} />
    </form>
  );
}
