// Renderer: the new-case form, validated field by field with the contract's own schema before `case.create`.
import { useEffect, useId, useMemo, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { i18next } from '../../i18n';
import { NewCaseInput } from '../../lib/validation';
import { api, toApiError, type ApiError } from '../../lib/api';
import { useCase } from '../../lib/caseState';
import { navigate } from '../../lib/route';
import { ErrorNotice } from '../../components/ErrorNotice';

type Field = 'name' | 'examiner' | 'client' | 'reference' | 'timeZone';
type Values = Record<Field, string>;
type Errors = Partial<Record<Field, string>>;

const EMPTY: Values = { name: '', examiner: '', client: '', reference: '', timeZone: 'UTC' };

function requiredMessage(field: Field): string {
  if (field === 'name') return i18next.t('start.form.nameRequired');
  if (field === 'examiner') return i18next.t('start.form.examinerRequired');
  return i18next.t('start.form.empty');
}

function timeZones(): string[] {
  let zones: string[];
  try {
    zones = Intl.supportedValuesOf('timeZone');
  } catch {
    zones = [];
  }
  return ['UTC', ...zones.filter((z) => z !== 'UTC')];
}

function validate(values: Values): { errors: Errors; input: NewCaseInput | null } {
  const candidate = {
    name: values.name,
    examiner: values.examiner,
    client: values.client.trim() || undefined,
    reference: values.reference.trim() || undefined,
    timeZone: values.timeZone || undefined,
  };
  const parsed = NewCaseInput.safeParse(candidate);
  if (parsed.success) return { errors: {}, input: parsed.data };
  const errors: Errors = {};
  for (const issue of parsed.error.issues) {
    const field = issue.path[0] as Field | undefined;
    if (!field || errors[field]) continue;
    if (issue.code === 'too_small') errors[field] = requiredMessage(field);
    else if (issue.code === 'too_big') errors[field] = i18next.t('start.form.tooLong', { max: String(issue.maximum) });
    else errors[field] = issue.message;
  }
  return { errors, input: null };
}

export function NewCaseForm() {
  const { t } = useTranslation();
  const { caseOpened } = useCase();
  const [values, setValues] = useState<Values>(EMPTY);
  const [errors, setErrors] = useState<Errors>({});
  const [attempted, setAttempted] = useState(false);
  const [submitting, setSubmitting] = useState(false);
  const [submitError, setSubmitError] = useState<ApiError | null>(null);
  const zones = useMemo(timeZones, []);
  /** Settings → Engagement: the default time zone and examiner, filled in until the examiner types over them. */
  const defaults = useRef<Pick<Values, 'examiner' | 'timeZone'>>({ examiner: '', timeZone: 'UTC' });
  const touched = useRef<Set<Field>>(new Set());

  useEffect(() => {
    let live = true;
    api.settings.get().then(
      (s) => {
        if (!live) return;
        defaults.current = { examiner: s.examiner, timeZone: s.defaultTimeZone && zones.includes(s.defaultTimeZone) ? s.defaultTimeZone : 'UTC' };
        setValues((v) => ({
          ...v,
          ...(touched.current.has('examiner') ? {} : { examiner: defaults.current.examiner }),
          ...(touched.current.has('timeZone') ? {} : { timeZone: defaults.current.timeZone }),
        }));
      },
      // Settings that cannot be read leave the form as it is: Settings says what is wrong with them.
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [zones]);

  const set = (field: Field, value: string) => {
    touched.current.add(field);
    const next = { ...values, [field]: value };
    setValues(next);
    // After a first attempt, errors clear as soon as the field becomes valid.
    if (attempted) setErrors(validate(next).errors);
  };

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    setAttempted(true);
    setSubmitError(null);
    const { errors: found, input } = validate(values);
    setErrors(found);
    if (!input) {
      const first = (Object.keys(found) as Field[])[0];
      if (first) document.getElementById(`new-case-${first}`)?.focus();
      return;
    }
    setSubmitting(true);
    try {
      const created = await api.case.create(input);
      await caseOpened(created);
      setValues({ ...EMPTY, ...defaults.current });
      touched.current.clear();
      setAttempted(false);
      navigate('collect');
    } catch (err) {
      setSubmitError(toApiError(err));
    } finally {
      setSubmitting(false);
    }
  };

  return (
    <form className="form" onSubmit={onSubmit} noValidate data-testid="new-case-form" aria-describedby="new-case-note">
      <TextField field="name" label={t('start.form.name')} required value={values.name} error={errors.name} onChange={set} placeholder={t('start.form.namePlaceholder')} />
      <TextField field="examiner" label={t('start.form.examiner')} required value={values.examiner} error={errors.examiner} onChange={set} placeholder={t('start.form.examinerPlaceholder')} />
      <TextField field="client" label={t('start.form.client')} value={values.client} error={errors.client} onChange={set} placeholder={t('common.optional')} />
      <TextField field="reference" label={t('start.form.reference')} value={values.reference} error={errors.reference} onChange={set} placeholder={t('start.form.referencePlaceholder')} />
      <div className="field">
        <label htmlFor="new-case-timeZone">{t('start.form.zone')}</label>
        <select
          id="new-case-timeZone"
          value={values.timeZone}
          onChange={(e) => set('timeZone', e.target.value)}
          data-testid="new-case-timeZone"
          aria-describedby="new-case-timeZone-hint"
        >
          {zones.map((z) => (
            <option key={z} value={z}>
              {z}
            </option>
          ))}
        </select>
        <p className="field-hint" id="new-case-timeZone-hint">
          {t('start.form.zoneHint')}
        </p>
        {errors.timeZone ? <p className="field-error" data-testid="new-case-timeZone-error">{errors.timeZone}</p> : null}
      </div>
      {submitError ? <ErrorNotice error={submitError} title={t('start.form.notCreated')} testId="new-case-error" /> : null}
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={submitting} data-testid="new-case-submit">
          {submitting ? t('start.form.creating') : t('start.form.create')}
        </button>
        <p className="field-hint" id="new-case-note">{t('start.form.note')}</p>
      </div>
    </form>
  );
}

interface TextFieldProps {
  field: Field;
  label: string;
  value: string;
  error: string | undefined;
  required?: boolean;
  placeholder?: string;
  onChange: (field: Field, value: string) => void;
}

function TextField({ field, label, value, error, required = false, placeholder, onChange }: TextFieldProps) {
  const { t } = useTranslation();
  const id = `new-case-${field}`;
  const errorId = useId();
  return (
    <div className={`field${error ? ' has-error' : ''}`}>
      <label htmlFor={id}>
        {label}
        {required ? <span className="required">{t('common.required')}</span> : null}
      </label>
      <input
        id={id}
        type="text"
        value={value}
        placeholder={placeholder}
        aria-required={required}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? errorId : undefined}
        onChange={(e) => onChange(field, e.target.value)}
        data-testid={id}
        autoComplete="off"
        spellCheck={false}
      />
      {error ? (
        <p className="field-error" id={errorId} data-testid={`${id}-error`}>
          <span aria-hidden="true">✕ </span>
          {error}
        </p>
      ) : null}
    </div>
  );
}
