import { HttpError } from 'routing-controllers';

/** Bad input: answered with its status and `{"message": "ERROR: ..."}`, as DRUM answers user errors. */
export class InputError extends HttpError {
  constructor(status: number, message: string) {
    super(status, message);
    // HttpError's constructor resets the prototype to its own, which would make instanceof InputError false.
    Object.setPrototypeOf(this, InputError.prototype);
    this.name = 'InputError';
  }
}
