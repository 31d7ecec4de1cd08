/**
 * Whether handing an endpoint's handler to another thread pays (spec.md "Threads"). Thread 1 does every
 * request's HTTP work, so with a trivial handler it is the node's bottleneck, and a handoff (the request
 * posted, the response received and written back, the garbage and the wake-ups that come with them) can cost
 * it more than running the handler itself. So thread 1 learns two figures:
 *
 * - what each endpoint's handler costs: its spawn and the time its Lua process ran, on whichever thread ran it
 *   (a moving average);
 * - what a request costs thread 1 besides its handler: its busy time (event loop utilisation, so garbage
 *   collection and the port's own work are in it), less the handlers it ran itself, per request, over a
 *   window of at least WINDOW requests and WINDOW_MS in which at least HANDED_SHARE of them went out. That is
 *   at least a request's HTTP work plus half a handoff (all of one when all went out). A calibration is
 *   CALIBRATION such windows, and its figure their least (noise only adds, and the first windows may find
 *   thread 1's code still cold).
 *
 * A handler goes out (to the least loaded thread, thread 1 included) when it costs more than MARGIN times that
 * figure, so more than a whole handoff and a request's HTTP work (with the least share handed over, twice the
 * figure is the HTTP work twice and a handoff); a cheaper one runs on thread 1. Until both figures are known
 * every request may go out; the first requests are a calibration, and while requests come there is another after 1 s,
 * then 2 s, ... at most every RECALIBRATE_MS, so that the figure follows the machine's load (the first ones
 * may have found the code cold).
 */
import { performance } from 'perf_hooks';

/** A clock and the thread's busy time so far, both in ms: the event loop's (the tests give their own). */
export interface BusyMeter {
  now(): number;
  busy(): number;
}

const eventLoop: BusyMeter = { now: () => performance.now(), busy: () => performance.eventLoopUtilization().active };

/** The weight of a new figure in a handler's moving average. */
const WEIGHT = 1 / 8;
/** Requests a window of thread 1's busy time spans at least... */
const WINDOW = 64;
/** ...and the time (ms): a shorter window is mostly the timer's noise. */
const WINDOW_MS = 20;
/** A window older than this (ms) measured a trickle, not thread 1's cost under load: it starts again. */
const STALE_MS = 1000;
/** The least share of a window's requests that went out for it to count in a calibration. */
const HANDED_SHARE = 0.5;
/** Windows of one calibration; one ends after twice as many windows in any case (keeping the old figure if none counted). */
const CALIBRATION = 3;
/** Outside a calibration, one in this many handlers run on thread 1 is timed (its cost is a moving average). */
const SAMPLE = 8;
/** The longest time (ms) between calibrations while requests come (the first comes after 1 s, then doubling). */
const RECALIBRATE_MS = 30_000;
/** A handler goes out when it costs more than this many times what a request costs thread 1 besides it. */
const MARGIN = 2;

/** What the policy knows of one endpoint's handler: its cost (ms, a moving average), once measured. */
export interface EndpointCost {
  ms: number | undefined;
}

export class HandoffPolicy {
  /** What a request costs thread 1 besides its handler (ms); undefined until a calibration has measured it. */
  private handoff: number | undefined;
  /** Time the handlers run on thread 1 took in the window (ms). */
  private local = 0;
  /** Windows left in the calibration under way (0: none). */
  private calibrating = CALIBRATION;
  /** Windows closed in the calibration under way. */
  private tries = 0;
  private runs = 0;
  private calibrated = Number.NEGATIVE_INFINITY;
  private interval = 1000;
  private least = Number.POSITIVE_INFINITY;
  private windowStart: number;
  private windowBusy: number;
  private requests = 0;
  private handed = 0;

  constructor(private readonly meter: BusyMeter = eventLoop) {
    this.windowStart = meter.now();
    this.windowBusy = meter.busy();
  }

  /** Whether to time a handler thread 1 runs: during a calibration (its time is taken out), else one in SAMPLE. */
  measures(endpoint: EndpointCost): boolean {
    return this.calibrating > 0 || endpoint.ms === undefined || ++this.runs % SAMPLE === 0;
  }

  /** An endpoint's handler ran, costing the thread it ran on (thread 1 when `here`) `ms`. */
  ran(endpoint: EndpointCost, ms: number, here: boolean): void {
    if (here) this.local += ms;
    const old = endpoint.ms;
    endpoint.ms = old === undefined ? ms : old + (ms - old) * WEIGHT;
  }

  /**
   * Whether an endpoint's handler should go to another thread: during a calibration, while its cost is not
   * known (it is measured wherever it runs), and when it costs more than MARGIN times what a request costs
   * thread 1 besides its handler.
   */
  pays(endpoint: EndpointCost): boolean {
    if (this.calibrating > 0 || this.handoff === undefined) return true;
    return endpoint.ms === undefined || endpoint.ms > MARGIN * this.handoff;
  }

  /** Thread 1 served a request that could go out, handing it over or not; a window closes when long enough. */
  served(handedOver: boolean): void {
    this.requests++;
    if (handedOver) this.handed++;
    if (this.requests < WINDOW) return;
    const now = this.meter.now();
    const elapsed = now - this.windowStart;
    if (elapsed < WINDOW_MS) return;
    if (this.calibrating > 0) {
      this.tries++;
      if (elapsed < STALE_MS && this.handed >= this.requests * HANDED_SHARE) {
        const busy = this.meter.busy() - this.windowBusy;
        this.least = Math.min(this.least, Math.max(0, busy - this.local) / this.requests);
        this.calibrating--;
      }
      const found = this.least < Number.POSITIVE_INFINITY;
      if (this.calibrating === 0 || (this.tries >= 2 * CALIBRATION && (found || this.handoff !== undefined))) {
        if (found) this.handoff = this.least;
        this.least = Number.POSITIVE_INFINITY;
        this.calibrating = 0;
        this.tries = 0;
        this.calibrated = now;
      }
    } else if (this.calibrating === 0 && now - this.calibrated >= this.interval) {
      this.calibrating = CALIBRATION;
      this.interval = Math.min(RECALIBRATE_MS, this.interval * 2);
    }
    this.windowStart = now;
    this.windowBusy = this.meter.busy();
    this.requests = 0;
    this.handed = 0;
    this.local = 0;
  }

  /** The figure, for the tests: ms per request on thread 1 besides its handler. */
  get requestCost(): number | undefined {
    return this.handoff;
  }
}
