// INSTALL.txt of a release archive: the few commands that put the agent on a server as a service,
// per platform family, in the same words and paths as the README and `logagent service`.
import type { Family } from "./conf-example";

export function familyOf(target: string): Family {
  return target.startsWith("windows") ? "windows" : target.startsWith("darwin") ? "darwin" : "linux";
}

const WINDOWS = `Install, in an administrator PowerShell or Command Prompt:
  1. Extract logagent.exe, conf.ini.example and INSTALL.txt into C:\\Program Files\\logagent\\
  2. Copy conf.ini.example to conf.ini there and edit it: at least [kafka] address, and [etcd]
     or [collect.NAME] sections. Check it:
       cd "C:\\Program Files\\logagent"
       .\\logagent.exe check -c conf.ini
  3. Install and start the service (it then starts at every boot):
       .\\logagent.exe service install -c "C:\\Program Files\\logagent\\conf.ini"
       .\\logagent.exe service start
       .\\logagent.exe service status

Logs: %ProgramData%\\logagent\\logs\\logagent.log (rotated by size; see log_file in conf.ini).

Upgrade: .\\logagent.exe service stop, replace logagent.exe, .\\logagent.exe service start.
  Positions are saved on stop: it carries on where it stopped.
Uninstall: .\\logagent.exe service stop, then .\\logagent.exe service uninstall, then delete
  the folder (and state_dir, if you set it elsewhere).
A second instance: add --name NAME to every service command (its log is then NAME.log).
Check the download: Get-FileHash logagent-*.zip (SHA-256) must match its line in SHA256SUMS.`;

// sudo is given the full path: its secure_path lacks /usr/local/bin on some distributions.
const LINUX = `Install, as a systemd service:
  tar xzf logagent-*.tar.gz && cd logagent-*/
  sudo install -m 755 logagent /usr/local/bin/logagent
  sudo install -d /etc/logagent
  sudo install -m 600 conf.ini.example /etc/logagent/conf.ini
  sudoedit /etc/logagent/conf.ini
      # at least [kafka] address, and [etcd] or [collect.NAME] sections;
      # state_dir = /var/lib/logagent keeps the agent's state out of /etc
  sudo /usr/local/bin/logagent check -c /etc/logagent/conf.ini
  sudo /usr/local/bin/logagent service install -c /etc/logagent/conf.ini
  sudo /usr/local/bin/logagent service start
  logagent service status

Logs: journalctl -u logagent -f
Secrets: NAME=value lines in /etc/logagent/logagent.env (mode 600), written as \${NAME} in conf.ini.

Upgrade: sudo /usr/local/bin/logagent service stop
  sudo install -m 755 logagent /usr/local/bin/logagent
  sudo /usr/local/bin/logagent service start
  Positions are saved on stop: it carries on where it stopped.
Uninstall: sudo /usr/local/bin/logagent service uninstall; sudo rm /usr/local/bin/logagent
  (and, if you wish, /etc/logagent and the state_dir).
A second instance: add --name NAME to every service command (unit NAME.service).
See what install would write, without root: logagent service install --dry-run -c conf.ini
Check the download: sha256sum -c --ignore-missing SHA256SUMS`;

const DARWIN = `Install, as a launchd daemon:
  tar xzf logagent-*.tar.gz && cd logagent-*/
  sudo install -m 755 logagent /usr/local/bin/logagent
  sudo xattr -d com.apple.quarantine /usr/local/bin/logagent   # if a browser downloaded it
  sudo install -d /usr/local/etc/logagent
  sudo install -m 600 conf.ini.example /usr/local/etc/logagent/conf.ini
  sudo vi /usr/local/etc/logagent/conf.ini
      # at least [kafka] address, and [etcd] or [collect.NAME] sections
  sudo /usr/local/bin/logagent check -c /usr/local/etc/logagent/conf.ini
  sudo /usr/local/bin/logagent service install -c /usr/local/etc/logagent/conf.ini
  sudo /usr/local/bin/logagent service start
  logagent service status

Logs: /Library/Logs/logagent/logagent.log (set log_file in conf.ini for rotation by size).

Upgrade: sudo /usr/local/bin/logagent service stop
  sudo install -m 755 logagent /usr/local/bin/logagent
  sudo /usr/local/bin/logagent service start
  Positions are saved on stop: it carries on where it stopped.
Uninstall: sudo /usr/local/bin/logagent service uninstall; sudo rm /usr/local/bin/logagent
A second instance: add --name NAME to every service command (label io.logagent.NAME).
See what install would write: logagent service install --dry-run -c conf.ini
Check the download: shasum -a 256 -c --ignore-missing SHA256SUMS`;

export function installText(version: string, target: string): string {
  const family = familyOf(target);
  const baseline = target.endsWith("-baseline") ? " (baseline: for x64 CPUs without AVX2)" : "";
  const text = [
    `logagent ${version}, ${target}${baseline}`,
    "",
    `This archive holds the agent (${family === "windows" ? "logagent.exe" : "logagent"}), conf.ini.example (every option,`,
    "commented out with its default) and this file. Run the agent by hand with: logagent -c conf.ini",
    "Help: logagent --help. logagent --version also names the commit it was built from.",
    "",
    family === "windows" ? WINDOWS : family === "darwin" ? DARWIN : LINUX,
    "",
  ].join("\n");
  return family === "windows" ? text.replaceAll("\n", "\r\n") : text;
}
