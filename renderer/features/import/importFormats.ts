// Renderer: the formats and date formats the Import screen offers (main/import/formats.ts and dates.ts; a unit test holds them equal).

export const IMPORT_FORMAT_IDS = ['purview-csv', 'ual-export-csv', 'ual-json', 'o365-api-json', 'la-officeactivity', 'graph-signins', 'la-signins', 'graph-audits', 'la-audits', 'azure-monitor-audits'] as const;

export const IMPORT_DATE_FORMATS = ['iso', 'M/d/yyyy', 'd/M/yyyy', 'd.M.yyyy', 'yyyy/M/d'] as const;
