/**
 * Checks of a whole MetricPoint (one label set at one timestamp) of a histogram, gauge
 * histogram or summary: the rules that no single line shows. Samples are fed in order and
 * the problems come out as data, so the parser can check points as they stream past and
 * still discard the result when a point turns out to be split across the family.
 */
import type { ExpositionIssueCode } from './issues.ts';
import type { MetricType, Sample } from './types.ts';

/** A problem with a point, at the line of the sample that shows it. */
export interface PointIssue {
  code: ExpositionIssueCode;
  line: number;
  message: string;
}

export class PointCheck {
  /** Label-set key and timestamp of the point. */
  readonly key: string;
  private readonly familyName: string;
  private readonly type: MetricType;
  private readonly om: boolean;
  private readonly firstLine: number;
  private previousBound = Number.NEGATIVE_INFINITY;
  private previousValue = Number.NEGATIVE_INFINITY;
  private infValue: number | undefined;
  private count: number | undefined;
  private countLine = 0;
  private sum: number | undefined;
  private sumLine = 0;
  private buckets = 0;
  private ordered = true;
  private negativeBucket = false;

  constructor(key: string, familyName: string, type: MetricType, om: boolean, firstLine: number) {
    this.key = key;
    this.familyName = familyName;
    this.type = type;
    this.om = om;
    this.firstLine = firstLine;
  }

  /**
   * One sample of the point. `bound` is the numeric `le` of a bucket or `quantile` of a
   * quantile sample (NaN when it has none or it is not a number).
   */
  add(sample: Sample, suffix: string, line: number, bound: number, issues: PointIssue[]): void {
    if (this.type === 'summary') {
      // Prometheus text: "the quantiles of a summary must appear in increasing numerical order".
      if (this.om || suffix !== '' || Number.isNaN(bound) || !this.ordered) return;
      if (bound <= this.previousBound) {
        this.ordered = false;
        issues.push({
          code: 'summary.quantile',
          line,
          message: `quantile="${sample.labels['quantile']}" is not greater than the previous quantile; quantiles must increase`,
        });
      }
      this.previousBound = bound;
      return;
    }
    const gauge = this.type === 'gaugehistogram';
    if (suffix === (gauge ? '_gcount' : '_count')) {
      this.count = sample.value;
      this.countLine = line;
      return;
    }
    if (suffix === (gauge ? '_gsum' : '_sum')) {
      this.sum = sample.value;
      this.sumLine = line;
      return;
    }
    if (suffix !== '_bucket') return;
    this.buckets++;
    if (Number.isNaN(bound)) {
      this.ordered = false; // already reported as histogram.le
      return;
    }
    if (bound < 0) this.negativeBucket = true;
    const le = sample.labels['le'];
    if (this.ordered && bound <= this.previousBound) {
      this.ordered = false;
      issues.push({
        code: 'histogram.buckets',
        line,
        message:
          bound === this.previousBound
            ? `bucket le="${le}" appears twice`
            : `bucket le="${le}" comes after a larger le; buckets must be in increasing le order`,
      });
    }
    if (this.ordered && sample.value < this.previousValue) {
      issues.push({
        code: 'histogram.buckets',
        line,
        message: `bucket le="${le}" has ${sample.value}, less than the previous bucket's ${this.previousValue}; buckets are cumulative`,
      });
    }
    const exemplar = sample.exemplar;
    if (
      this.om &&
      exemplar !== undefined &&
      !(exemplar.value <= bound && exemplar.value > this.previousBound)
    ) {
      issues.push({
        code: 'exemplar.invalid',
        line,
        message: `exemplar value ${exemplar.value} is outside its bucket (${this.previousBound}, ${bound}]`,
      });
    }
    this.previousBound = bound;
    this.previousValue = sample.value;
    if (bound === Number.POSITIVE_INFINITY) this.infValue = sample.value;
  }

  /** The checks that need the whole point. */
  finish(issues: PointIssue[]): void {
    if (this.type === 'summary') return;
    const gauge = this.type === 'gaugehistogram';
    const name = this.familyName;
    const countName = name + (gauge ? '_gcount' : '_count');
    const sumName = name + (gauge ? '_gsum' : '_sum');
    if (this.buckets === 0) {
      issues.push({
        code: 'histogram.buckets',
        line: this.firstLine,
        message: `histogram point without buckets; it needs at least ${name}_bucket{le="+Inf"}`,
      });
    } else if (this.ordered && this.infValue === undefined) {
      issues.push({
        code: 'histogram.buckets',
        line: this.firstLine,
        message: 'histogram point without a le="+Inf" bucket',
      });
    }
    if (this.count !== undefined && this.infValue !== undefined && this.count !== this.infValue) {
      issues.push({
        code: 'histogram.count',
        line: this.countLine,
        message: `${countName} is ${this.count} but the +Inf bucket is ${this.infValue}; they must be equal`,
      });
    }
    if (this.om && (this.count === undefined) !== (this.sum === undefined)) {
      issues.push({
        code: 'histogram.count',
        line: this.count === undefined ? this.sumLine : this.countLine,
        message: `${countName} and ${sumName} must come together (or neither)`,
      });
    }
    if (this.om && !gauge && this.sum !== undefined && this.negativeBucket) {
      issues.push({
        code: 'histogram.count',
        line: this.sumLine,
        message: 'a histogram with negative buckets must not have a sum',
      });
    }
  }
}
