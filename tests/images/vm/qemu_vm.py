"""A QEMU virtual machine booted from an appliance QCOW2 with a CONTEXT CD-ROM, as OpenNebula would boot it.

- The disk is a throw-away raw copy of the image (the image under test stays as built), into which the test's SSH
  key is written: the image has none, and without one-context nothing installs the context's SSH_PUBLIC_KEY.
- The CONTEXT CD-ROM is an ISO 9660 volume labelled CONTEXT holding context.sh and token.txt (what oned writes),
  on a virtio-scsi CD drive.
- User-mode networking (slirp) on 198.18.10.0/24: the guest is 198.18.10.15 and reaches the host as 198.18.10.2
  (the host's loopback) and any host address through slirp's NAT; ports are forwarded from host addresses.
- Software emulation (TCG): KVM guests fail on the CI hosts.
"""

import os
import shutil
import subprocess
import time
from pathlib import Path

SLIRP = "net=198.18.10.0/24,host=198.18.10.2,dns=198.18.10.3"


def context_iso(directory, iso):
    """An ISO like oned's: volume CONTEXT, context.sh and token.txt (Rock Ridge and Joliet names)."""
    subprocess.run(["genisoimage", "-quiet", "-V", "CONTEXT", "-J", "-R", "-o", str(iso), str(directory)],
                   check=True)
    return iso


def disk_with_key(image, work, public_key):
    """A raw copy of IMAGE with PUBLIC_KEY as root's authorized key (partition 1 is the root file system)."""
    raw = Path(work) / "disk.raw"
    subprocess.run(["qemu-img", "convert", "-O", "raw", str(image), str(raw)], check=True)
    loop = subprocess.run(["losetup", "-f", "--show", "-P", str(raw)], capture_output=True, text=True,
                          check=True).stdout.strip()
    mnt = Path(work) / "mnt"
    mnt.mkdir()
    try:
        for _attempt in range(50):
            if os.path.exists(loop + "p1"):
                break
            subprocess.run(["partx", "-u", loop], check=False)
            time.sleep(0.1)
        subprocess.run(["mount", loop + "p1", str(mnt)], check=True)
        try:
            ssh = mnt / "root" / ".ssh"
            ssh.mkdir(mode=0o700, exist_ok=True)
            (ssh / "authorized_keys").write_text(public_key)
            os.chmod(ssh / "authorized_keys", 0o600)
        finally:
            subprocess.run(["umount", str(mnt)], check=True)
    finally:
        subprocess.run(["losetup", "-d", loop], check=False)
    return raw


class QemuVM:
    def __init__(self, image, work, context_dir, forwards, ssh_port, memory=2048, cpus=2):
        """forwards: ["tcp:198.18.12.10:9092-:9092", ...] slirp hostfwd rules besides SSH on 127.0.0.1:ssh_port."""
        self.work = Path(work)
        self.work.mkdir(parents=True, exist_ok=True)
        self.key = self.work / "id_ed25519"
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(self.key)], check=True)
        self.disk = disk_with_key(image, self.work, (self.work / "id_ed25519.pub").read_text())
        self.iso = context_iso(context_dir, self.work / "context.iso")
        self.serial = self.work / "serial.log"
        self.ssh_port = ssh_port
        rules = ["hostfwd=tcp:127.0.0.1:%d-:22" % ssh_port] + ["hostfwd=" + f for f in forwards]
        self.argv = [
            "qemu-system-x86_64", "-machine", "pc,accel=tcg", "-cpu", "max", "-m", str(memory), "-smp", str(cpus),
            "-display", "none", "-serial", "file:%s" % self.serial, "-no-reboot",
            "-drive", "file=%s,format=raw,if=virtio,cache=unsafe" % self.disk,
            "-device", "virtio-scsi-pci,id=scsi0",
            "-drive", "if=none,id=context,file=%s,media=cdrom,readonly=on" % self.iso,
            "-device", "scsi-cd,drive=context,bus=scsi0.0",
            "-netdev", "user,id=n0,%s,%s" % (SLIRP, ",".join(rules)),
            "-device", "virtio-net-pci,netdev=n0",
        ]
        self.proc = None
        self.started = None

    def start(self):
        self.started = time.monotonic()
        self.proc = subprocess.Popen(self.argv, stdout=open(self.work / "qemu.log", "w"), stderr=subprocess.STDOUT)
        return self

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def serial_log(self):
        return self.serial.read_text(errors="replace") if self.serial.exists() else ""

    def ssh(self, command, timeout=600, check=True):
        argv = ["ssh", "-i", str(self.key), "-p", str(self.ssh_port), "-o", "StrictHostKeyChecking=no",
                "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=10",
                "-o", "BatchMode=yes", "root@127.0.0.1", command]
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
        if check and proc.returncode != 0:
            raise AssertionError("ssh %r failed (rc=%d): %s%s" % (command, proc.returncode, proc.stdout[-3000:],
                                                                  proc.stderr[-2000:]))
        return proc

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def remove(self):
        self.stop()
        shutil.rmtree(self.work, ignore_errors=True)
