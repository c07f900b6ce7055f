// The Windows error codes `logagent service` meets, in words an administrator can act on.
import { SERVICE_EXIT, ServiceError } from "../service-manager";

export const ERROR = {
  ACCESS_DENIED: 5,
  INVALID_LEVEL: 124,
  SERVICE_REQUEST_TIMEOUT: 1053,
  SERVICE_ALREADY_RUNNING: 1056,
  SERVICE_DISABLED: 1058,
  SERVICE_DOES_NOT_EXIST: 1060,
  SERVICE_CANNOT_ACCEPT_CTRL: 1061,
  SERVICE_NOT_ACTIVE: 1062,
  FAILED_SERVICE_CONTROLLER_CONNECT: 1063,
  SERVICE_SPECIFIC_ERROR: 1066,
  SERVICE_MARKED_FOR_DELETE: 1072,
  SERVICE_EXISTS: 1073,
  SERVICE_NEVER_STARTED: 1077,
  FILE_NOT_FOUND: 2,
} as const;

const WORDS: Record<number, string> = {
  [ERROR.FILE_NOT_FOUND]: "not found",
  [ERROR.ACCESS_DENIED]: "access denied",
  [ERROR.SERVICE_REQUEST_TIMEOUT]: "the service did not respond in time",
  [ERROR.SERVICE_ALREADY_RUNNING]: "the service is already running",
  [ERROR.SERVICE_DISABLED]: "the service is disabled",
  [ERROR.SERVICE_DOES_NOT_EXIST]: "no such service",
  [ERROR.SERVICE_CANNOT_ACCEPT_CTRL]: "the service cannot accept that request now (it is starting or stopping)",
  [ERROR.SERVICE_NOT_ACTIVE]: "the service is not running",
  [ERROR.SERVICE_MARKED_FOR_DELETE]: "a service of that name is being deleted",
  [ERROR.SERVICE_EXISTS]: "a service of that name already exists",
  [ERROR.SERVICE_NEVER_STARTED]: "the service has not been started",
};

export function describeWindowsError(code: number): string {
  return WORDS[code] ? `${WORDS[code]} (Windows error ${code})` : `Windows error ${code}`;
}

/** A failed SCM call as a ServiceError with the exit code `logagent service` documents. */
export function scmError(what: string, name: string, code: number): ServiceError {
  switch (code) {
    case ERROR.ACCESS_DENIED:
      return new ServiceError(`${what} ${name}: access denied. Run it from an elevated prompt (Run as administrator).`, SERVICE_EXIT.notAdministrator);
    case ERROR.SERVICE_EXISTS:
      return new ServiceError(`${what} ${name}: a service named ${name} is already installed. Remove it first (logagent service uninstall --name ${name}) or choose another --name.`, SERVICE_EXIT.alreadyInstalled);
    case ERROR.SERVICE_DOES_NOT_EXIST:
      return new ServiceError(`${what} ${name}: no service named ${name} is installed.`, SERVICE_EXIT.notInstalled);
    case ERROR.SERVICE_MARKED_FOR_DELETE:
      return new ServiceError(`${what} ${name}: the service is being deleted; Windows finishes once nothing holds it open (close the Services console) and it has stopped.`, SERVICE_EXIT.failed);
    default:
      return new ServiceError(`${what} ${name}: ${describeWindowsError(code)}.`, SERVICE_EXIT.failed);
  }
}
