import {
  ValidatorConstraint,
  type ValidatorConstraintInterface,
  type ValidationArguments,
} from 'class-validator';

/** A boolean, a number, or a string: what Patroni's lenient boolean parsing can read. */
@ValidatorConstraint({ name: 'lenientBoolean' })
export class LenientBoolean implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return ['boolean', 'number', 'string'].includes(typeof value);
  }

  defaultMessage(args: ValidationArguments): string {
    return `${args.property} must be a boolean`;
  }
}
