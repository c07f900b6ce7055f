// Placeholder, replaced by the real implementation in this change.
import { ServiceError, type ServiceDefinition, type ServiceManager, type ServiceStatus, type Say } from "./service-manager";

export class LaunchdManager implements ServiceManager {
  readonly kind = "launchd" as const;
  async install(_def: ServiceDefinition, _say: Say, _dryRun: boolean): Promise<void> {
    throw new ServiceError("not implemented yet");
  }
  async uninstall(_name: string, _say: Say, _dryRun: boolean): Promise<void> {
    throw new ServiceError("not implemented yet");
  }
  async start(_name: string, _say: Say, _dryRun: boolean): Promise<void> {
    throw new ServiceError("not implemented yet");
  }
  async stop(_name: string, _say: Say, _dryRun: boolean): Promise<void> {
    throw new ServiceError("not implemented yet");
  }
  async status(_name: string): Promise<ServiceStatus> {
    throw new ServiceError("not implemented yet");
  }
}
