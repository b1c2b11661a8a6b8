/**
 * The error-catalogue convention of every service (style.md §5 "Errors", fastify's
 * `createError`): a failure family is a class made by a `defineError` factory; each instance
 * carries a stable `code` (`ERR_<NAME>`, for `switch`es and logs), the upstream `status` string,
 * the HTTP code and the exact upstream message. The operator, Core and OptOut each keep their own
 * catalogue and base class over this one; no service imports another's.
 */
export abstract class ServiceError<S extends string = string> extends Error {
  abstract readonly code: string;
  abstract readonly status: S;
  abstract readonly httpCode: number;
  /** `undefined` = the body carries only the status (e.g. 401 `{"status":"unauthorized"}`). */
  readonly detail: string | undefined;

  constructor(detail?: string) {
    super(detail ?? '');
    this.detail = detail;
  }

  /** The JSON body upstream answers with. */
  toBody(): { status: S; message?: string } {
    return this.detail === undefined ? { status: this.status } : { status: this.status, message: this.detail };
  }
}

/** `ClientError` -> `ERR_CLIENT_ERROR`: the code is derived from the family's name, once. */
export function errorCode(name: string): string {
  return `ERR_${name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()}`;
}

/** A family made by a factory: constructible with an optional message, and its fixed fields as statics. */
export type ErrorFamily<B, S extends string> = (new (detail?: string) => B & { readonly status: S; readonly code: string; readonly httpCode: number }) & {
  readonly code: string;
  readonly status: S;
  readonly httpCode: number;
};

/**
 * The `defineError` of one service: families over `Base`, whose statuses are of type `S`.
 * `fixedMessage` is the message of a family that always says the same thing, so its instances
 * are thrown without arguments.
 */
export function errorFactory<S extends string, B extends ServiceError<S>>(Base: abstract new (detail?: string) => B) {
  const Concrete = Base as unknown as new (detail?: string) => ServiceError<S>;
  return function defineError<T extends S>(status: T, httpCode: number, name: string, fixedMessage?: string): ErrorFamily<B, T> {
    const code = errorCode(name);
    const family = class extends Concrete {
      readonly code = code;
      readonly status = status;
      readonly httpCode = httpCode;
      constructor(detail?: string) {
        super(detail ?? fixedMessage);
        this.name = name;
      }
    };
    Object.defineProperty(family, 'name', { value: name });
    return Object.assign(family, { code, status, httpCode }) as unknown as ErrorFamily<B, T>;
  };
}
