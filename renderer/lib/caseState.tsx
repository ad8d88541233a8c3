// Renderer: the open case, its integrity status, the display time zone and the running collection, shared by every screen.
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { api, toApiError, type ApiError, type AppInfo, type CaseSummary, type CollectOptions, type CollectionStatus, type IntegrityStatus } from './api';
import { formatTimestamp } from './format';
import { usePoll } from './usePoll';

export interface CaseState {
  info: AppInfo | null;
  infoError: ApiError | null;
  /** True until the first `case.current` answer: avoids flashing "no case" on reload. */
  loading: boolean;
  openCase: CaseSummary | null;
  integrity: IntegrityStatus | null;
  integrityError: ApiError | null;
  verifying: boolean;
  /** Zone used for every timestamp on screen: UTC, or the case's display zone. */
  displayZone: string;
  setShowCaseZone: (on: boolean) => void;
  showCaseZone: boolean;
  formatTime: (iso: string | null | undefined) => string;
  caseOpened: (c: CaseSummary) => Promise<IntegrityStatus | null>;
  closeCase: () => Promise<void>;
  refreshIntegrity: () => Promise<IntegrityStatus | null>;
  collection: CollectionStatus | null;
  collectionError: ApiError | null;
  startCollection: (options?: CollectOptions) => Promise<void>;
  /** Asks main to stop the running collection; what was stored stays, and the poll sees it end. */
  cancelCollection: () => Promise<void>;
  /** Continues a run that did not finish cleanly from its checkpoints; it becomes the followed collection. */
  resumeCollection: (runId: string) => Promise<void>;
  /** Follows a run already under way (e.g. started before this screen was opened). */
  followRun: (runId: string) => Promise<void>;
  /** Bumped whenever a run starts or ends, so lists of runs know to read again. */
  runsVersion: number;
  /** Reads app.info again (the tenant named on the Collect screen changed). */
  refreshInfo: () => Promise<void>;
}

const Ctx = createContext<CaseState | null>(null);

const COLLECT_POLL_MS = 500;

export function CaseProvider({ children }: { children: ReactNode }) {
  const [info, setInfo] = useState<AppInfo | null>(null);
  const [infoError, setInfoError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(true);
  const [openCase, setOpenCase] = useState<CaseSummary | null>(null);
  const [integrity, setIntegrity] = useState<IntegrityStatus | null>(null);
  const [integrityError, setIntegrityError] = useState<ApiError | null>(null);
  const [verifying, setVerifying] = useState(false);
  const [showCaseZone, setShowCaseZone] = useState(false);
  const [collection, setCollection] = useState<CollectionStatus | null>(null);
  const [collectionError, setCollectionError] = useState<ApiError | null>(null);
  const [runsVersion, setRunsVersion] = useState(0);

  const refreshIntegrity = useCallback(async () => {
    setVerifying(true);
    try {
      const status = await api.case.verify();
      setIntegrity(status);
      setIntegrityError(null);
      return status;
    } catch (err) {
      setIntegrityError(toApiError(err));
      return null;
    } finally {
      setVerifying(false);
    }
  }, []);

  useEffect(() => {
    let live = true;
    api.app.info().then(
      (i) => live && setInfo(i),
      (err: unknown) => live && setInfoError(toApiError(err)),
    );
    api.case
      .current()
      .then(async (c) => {
        if (!live) return;
        setOpenCase(c);
        if (c) await refreshIntegrity();
      })
      .catch(() => {
        // No case open is the normal start; a real failure shows when the user acts.
      })
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
  }, [refreshIntegrity]);

  const refreshInfo = useCallback(async () => {
    try {
      setInfo(await api.app.info());
      setInfoError(null);
    } catch (err) {
      setInfoError(toApiError(err));
    }
  }, []);

  const caseOpened = useCallback(
    async (c: CaseSummary) => {
      setOpenCase(c);
      setIntegrity(null);
      setIntegrityError(null);
      setCollection(null);
      setCollectionError(null);
      setShowCaseZone(false);
      return refreshIntegrity();
    },
    [refreshIntegrity],
  );

  const closeCase = useCallback(async () => {
    await api.case.close();
    setOpenCase(null);
    setIntegrity(null);
    setIntegrityError(null);
    setCollection(null);
    setCollectionError(null);
  }, []);

  const startCollection = useCallback(async (options?: CollectOptions) => {
    setCollectionError(null);
    try {
      setCollection(await api.collect.start(options));
    } catch (err) {
      setCollectionError(toApiError(err));
    } finally {
      setRunsVersion((n) => n + 1);
    }
  }, []);

  const cancelCollection = useCallback(async () => {
    if (!collection || collection.state !== 'running') return;
    setCollectionError(null);
    try {
      await api.collect.cancel(collection.runId);
    } catch (err) {
      setCollectionError(toApiError(err));
    }
  }, [collection]);

  const resumeCollection = useCallback(async (runId: string) => {
    setCollectionError(null);
    try {
      setCollection(await api.collect.resume(runId));
    } catch (err) {
      setCollectionError(toApiError(err));
    } finally {
      setRunsVersion((n) => n + 1);
    }
  }, []);

  const followRun = useCallback(async (runId: string) => {
    try {
      setCollection(await api.collect.status(runId));
    } catch (err) {
      setCollectionError(toApiError(err));
    }
  }, []);

  const running = collection?.state === 'running';
  const runId = collection?.runId;
  usePoll(
    async () => {
      if (!runId) return false;
      try {
        const status = await api.collect.status(runId);
        setCollection(status);
        setCollectionError(null);
        if (status.state !== 'running') {
          setRunsVersion((n) => n + 1);
          await refreshIntegrity();
          return false;
        }
        return true;
      } catch (err) {
        // Keep polling through a transient failure, but say so.
        setCollectionError(toApiError(err));
        return true;
      }
    },
    COLLECT_POLL_MS,
    running,
  );

  const displayZone = showCaseZone && openCase ? openCase.timeZone : 'UTC';
  const formatTime = useCallback((iso: string | null | undefined) => formatTimestamp(iso, displayZone), [displayZone]);

  const value = useMemo<CaseState>(
    () => ({
      info,
      infoError,
      loading,
      openCase,
      integrity,
      integrityError,
      verifying,
      displayZone,
      showCaseZone,
      setShowCaseZone,
      formatTime,
      caseOpened,
      closeCase,
      refreshIntegrity,
      collection,
      collectionError,
      startCollection,
      cancelCollection,
      resumeCollection,
      followRun,
      runsVersion,
      refreshInfo,
    }),
    [
      info,
      infoError,
      loading,
      openCase,
      integrity,
      integrityError,
      verifying,
      displayZone,
      showCaseZone,
      formatTime,
      caseOpened,
      closeCase,
      refreshIntegrity,
      collection,
      collectionError,
      startCollection,
      cancelCollection,
      resumeCollection,
      followRun,
      runsVersion,
      refreshInfo,
    ],
  );
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

export function useCase(): CaseState {
  const v = useContext(Ctx);
  if (!v) throw new Error('useCase outside CaseProvider');
  return v;
}
