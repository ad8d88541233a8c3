// Main process: Settings — Peregrine's own settings on this machine; what matters to a case (the engagement's own apps,
// accounts never to touch) is recorded in the open case's custody when it is saved, and in each case created.
import type { Handlers, SettingsView } from '../../../preload/contract';
import { recordEngagement } from '../../../db/queries/engagement';
import { loadSettings, parseSettings, saveSettings, SettingsError, type Settings } from '../../settings/store';
import { HandlerError } from '../dispatch';
import { withoutPaths } from '../static-files';
import type { OpenCase, WorkbenchContext } from './context';

export function settingsHandlers(ctx: WorkbenchContext): Handlers['settings'] {
  const { deps, clock } = ctx;

  const load = (): Settings => {
    try {
      return loadSettings(deps.homeDir);
    } catch (err) {
      if (err instanceof SettingsError) throw new HandlerError('settings_invalid', withoutPaths(err.message));
      throw err;
    }
  };

  /** Records the engagement facts in the case when they differ from what it holds; returns whether it did. */
  const record = (open: OpenCase, settings: Settings): boolean =>
    recordEngagement(open.db, { engagementAppIds: settings.engagementAppIds, breakGlass: settings.breakGlass }, { at: clock().toISOString(), actor: open.summary.examiner });

  ctx.onCaseOpened((open, created) => {
    // A new case takes this machine's engagement facts; a case opened again (perhaps a colleague's, or another
    // engagement's) is not changed by opening it: Settings records a change there only when one is saved.
    if (!created) return;
    // A settings file that cannot be read must not stop a case from opening: Settings says what is wrong with it.
    let settings: Settings;
    try {
      settings = loadSettings(deps.homeDir);
    } catch {
      return;
    }
    // Nothing to say about an engagement that names no apps and no accounts: the case keeps no empty entry.
    if (settings.engagementAppIds.length === 0 && settings.breakGlass.length === 0) return;
    record(open, settings);
  });

  const view = (settings: Settings, recordedInCase: boolean | null): SettingsView => ({ ...settings, recordedInCase });

  return {
    get: async () => view(load(), null),
    update: async (input) => {
      let next: Settings;
      try {
        next = parseSettings({ ...load(), ...input });
      } catch (err) {
        if (err instanceof SettingsError) throw new HandlerError('invalid_input', err.message);
        throw err;
      }
      saveSettings(deps.homeDir, next);
      const open = ctx.openCase();
      const recorded = open ? record(open, next) : null;
      // The custody moved: the findings re-run with the engagement's apps as they now are.
      return view(next, recorded);
    },
  };
}
