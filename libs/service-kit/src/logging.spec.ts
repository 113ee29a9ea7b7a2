import { requestLogSkipper } from './logging';

describe('requestLogSkipper', () => {
  it('never logs probes and scrapes, always logs other routes, and samples hot routes', () => {
    let draw = 0;
    const skip = requestLogSkipper({ pathPrefixes: ['/models/'], rate: 0.25 }, () => draw);
    expect(skip('/metrics')).toBe(true);
    expect(skip('/health/ready?x=1')).toBe(true);
    expect(skip('/admin/audit')).toBe(false);
    draw = 0.2;
    expect(skip('/models/churn/predictions/a?segment.region=n')).toBe(false);
    draw = 0.3;
    expect(skip('/models/churn/predictions/a')).toBe(true);
    expect(skip('/docs')).toBe(false);
    expect(requestLogSkipper(undefined)('/models/churn/predictions/a')).toBe(false);
  });
});
