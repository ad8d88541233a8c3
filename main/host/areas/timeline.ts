// Main process: the Timeline screen's handlers — pages by key, the histogram, counts for Findings' links, raw records and pins (custody entries).
import type { Database } from 'better-sqlite3';
import type { Handlers, TimelineRowView } from '../../../preload/contract';
import { custodyHead } from '../../../db/queries/custody';
import { currentPins, latestPin, recordPin } from '../../../db/queries/pins';
import { objectsKey, refreshTimeline, timelineState } from '../../timeline/model';
import { timelineCount, timelineHistogram, timelinePage, TimelineQueryError, type TimelineFilter } from '../../timeline/query';
import { pinViews, timelineOverview, timelineRecord, timelineRowById, withPins } from '../../timeline/screen';
import { RecordNotFoundError } from '../../detect/records';
import { HandlerError } from '../dispatch';
import type { WorkbenchContext } from './context';

const isEmpty = (f: object) => Object.values(f).every((v) => v === undefined || v === false || (Array.isArray(v) && v.length === 0));

export function timelineHandlers(ctx: WorkbenchContext): Handlers['timeline'] {
  /** The case file and custody head the index was last brought up to date at. */
  let fresh: { file: string; head: string | null; lastEvent: number } | null = null;

  /** The open case with its index up to date: refreshed when custody or the events moved since (never during a collection). */
  async function indexed(): Promise<Database> {
    const { file, db } = ctx.requireCase();
    const head = custodyHead(db);
    const lastEvent = db.prepare('SELECT coalesce(max(id), 0) FROM event').pluck().get() as number;
    if (fresh?.file === file && fresh.head === head && fresh.lastEvent === lastEvent) return db;
    if (ctx.busy()) return db; // a collection is writing: show what is indexed; the next read after it refreshes
    // Findings are only computed again when the index's object and finding rows are out of date.
    const stale = objectsKey(db) !== timelineState(db).objects_key;
    refreshTimeline(db, stale ? { detectReport: await ctx.detection(), clock: ctx.clock } : { clock: ctx.clock });
    fresh = { file, head, lastEvent };
    return db;
  }

  function query<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      if (err instanceof TimelineQueryError) throw new HandlerError('invalid_input', err.message);
      throw err;
    }
  }

  function rowOf(db: Database, id: number): TimelineRowView {
    const row = timelineRowById(db, id);
    if (!row) throw new HandlerError('not_found', `Event ${id} is not in the timeline (the index was rebuilt): reload the timeline.`);
    return withPins([row], currentPins(db))[0]!;
  }

  /** A pin or unpin is a custody entry: the findings did not change, so the cached report is kept. */
  function writePin(db: Database, row: Pick<TimelineRowView, 'source' | 'recordId' | 'at' | 'evidenceSha256' | 'message'>, state: 'pinned' | 'unpinned', note: string) {
    const { summary } = ctx.requireCase();
    const pin = recordPin(db, {
      source: row.source, recordId: row.recordId, state, note, eventAt: row.at, evidenceSha256: row.evidenceSha256, at: ctx.clock().toISOString(),
      actor: summary.examiner, summary: row.message.slice(0, 500),
    });
    ctx.keepDetection();
    return pin;
  }

  return {
    overview: async () => timelineOverview(await indexed()),
    page: async ({ filter, limit, after, before, last }) => {
      const db = await indexed();
      const page = query(() => timelinePage(db, { filter: filter as TimelineFilter, limit, after, before, last }));
      return { rows: withPins(page.rows, currentPins(db)), previous: page.previous, next: page.next };
    },
    histogram: async ({ filter, bucket, split }) => {
      const db = await indexed();
      return query(() => timelineHistogram(db, filter as TimelineFilter, { bucket, split }));
    },
    count: async ({ filters }) => {
      const db = await indexed();
      // No filter: the hourly counts kept beside the index hold the total (a count(*) reads every row).
      return query(() => filters.map((f) => (isEmpty(f) ? timelineOverview(db).total : timelineCount(db, f as TimelineFilter))));
    },
    record: async ({ id }) => {
      const db = await indexed();
      const row = rowOf(db, id);
      try {
        if (row.source === 'finding') await ctx.detection();
        return timelineRecord(db, row, () => ctx.detectionNow(), pinViews(db));
      } catch (err) {
        if (err instanceof RecordNotFoundError) throw new HandlerError('not_found', err.message);
        throw err;
      }
    },
    pins: async () => pinViews(await indexed()),
    pin: async ({ id, note }) => {
      const db = await indexed();
      if (ctx.busy()) throw new HandlerError('busy', 'A collection is still running; pin the event once it has finished.');
      const row = rowOf(db, id);
      const pin = writePin(db, row, 'pinned', note);
      return pinViews(db, [pin])[0]!;
    },
    unpin: async ({ source, recordId, note }) => {
      const db = await indexed();
      if (ctx.busy()) throw new HandlerError('busy', 'A collection is still running; remove the pin once it has finished.');
      const previous = latestPin(db, source, recordId);
      if (previous?.state !== 'pinned') throw new HandlerError('not_found', `The ${source} record ${recordId} is not pinned.`);
      writePin(db, { source, recordId, at: previous.eventAt, evidenceSha256: previous.evidenceSha256, message: `Pin of ${source} record ${recordId} removed` }, 'unpinned', note);
      return null;
    },
  };
}
