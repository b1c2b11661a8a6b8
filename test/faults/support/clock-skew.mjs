// Preloaded with `node --import` into a service under test: shifts its wall clock (Date.now and
// new Date()) by UID2_TEST_CLOCK_SKEW_MS, to inject clock skew between real processes (issue 7).
const skew = Number(process.env.UID2_TEST_CLOCK_SKEW_MS ?? 0);
if (Number.isFinite(skew) && skew !== 0) {
  const RealDate = Date;
  const realNow = RealDate.now.bind(RealDate);
  class SkewedDate extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(realNow() + skew);
      else super(...args);
    }
    static now() {
      return realNow() + skew;
    }
  }
  globalThis.Date = SkewedDate;
}
