/** The fields of a query layer answer (ServedPrediction) the e2e suites check. */
export interface ServedAnswer {
  entityId: string;
  source: string;
  runId: string;
  outputs: number[];
  eventId: string | null;
}
