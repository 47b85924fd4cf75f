"""The system calls a learner's process may not make, as a seccomp filter built by
libseccomp (Debian's ``libseccomp2``, through ctypes: standard library only, so that the
learner's process can load this file by path before it closes itself in).

Every system call is named, never numbered: libseccomp resolves the names for each
architecture. The filter is built for the machine's own architecture when it is loaded,
and can be exported (as BPF) for x86_64 and aarch64 alike, to audit what it does on
either. A denied call fails with EPERM; a call of another architecture's ABI (x32 on
x86_64, say) kills the process.
"""

from __future__ import annotations

import ctypes
import errno
import os
import tempfile

# No new processes or programs; no signals to, or access to, other processes; no network;
# no raising of limits or change of identity; no namespaces, mounts, devices or kernel
# changes. (Names absent on an architecture, such as fork on aarch64, are skipped there.)
DENIED = {
    "processes": ["clone", "clone3", "fork", "vfork", "execve", "execveat"],
    "other processes": ["kill", "tkill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo",
                        "pidfd_send_signal", "pidfd_open", "pidfd_getfd", "ptrace", "process_vm_readv",
                        "process_vm_writev", "kcmp"],
    "network": ["socket", "socketpair", "connect", "accept", "accept4", "bind", "listen"],
    "limits and identity": ["setrlimit", "setuid", "setgid", "setreuid", "setregid", "setresuid", "setresgid",
                            "setgroups", "setfsuid", "setfsgid", "capset"],
    "the system": ["unshare", "setns", "mount", "umount2", "pivot_root", "chroot", "mount_setattr", "open_tree",
                   "move_mount", "fsopen", "fsconfig", "fsmount", "fspick", "mknod", "mknodat",
                   "name_to_handle_at", "open_by_handle_at", "reboot", "init_module", "finit_module",
                   "delete_module", "kexec_load", "kexec_file_load", "bpf", "perf_event_open", "userfaultfd",
                   "io_uring_setup", "io_uring_enter", "io_uring_register", "keyctl", "add_key", "request_key",
                   "swapon", "swapoff", "acct", "settimeofday", "clock_settime", "adjtimex", "clock_adjtime",
                   "sethostname", "setdomainname", "iopl", "ioperm", "quotactl", "syslog", "personality"],
}
# Allowed, but not with these arguments: the death signal that ties the process to the
# grader cannot be removed (prctl PR_SET_PDEATHSIG), and limits may be read, not set
# (prlimit64 with a new limit; glibc's getrlimit uses prlimit64 with none).
PR_SET_PDEATHSIG = 1

# <seccomp.h>
ARCHES = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}  # SCMP_ARCH_*, the kernel's AUDIT_ARCH_*
SCMP_ACT_ALLOW = 0x7FFF0000
SCMP_ACT_KILL_PROCESS = 0x80000000
SCMP_FLTATR_ACT_BADARCH = 2  # enum scmp_filter_attr: ACT_DEFAULT is 1
SCMP_CMP_NE, SCMP_CMP_MASKED_EQ = 1, 7


def SCMP_ACT_ERRNO(code: int) -> int:
    return 0x00050000 | (code & 0xFFFF)


class _ArgCmp(ctypes.Structure):  # struct scmp_arg_cmp
    _fields_ = [("arg", ctypes.c_uint), ("op", ctypes.c_int), ("datum_a", ctypes.c_uint64),
                ("datum_b", ctypes.c_uint64)]


class SeccompUnavailable(Exception):
    pass


_lib = None


def library():
    """libseccomp, loaded once (before the learner's process closes itself in)."""
    global _lib
    if _lib is None:
        try:
            lib = ctypes.CDLL("libseccomp.so.2", use_errno=True)
        except OSError:
            raise SeccompUnavailable("libseccomp is not installed (Debian: apt-get install libseccomp2)") from None
        lib.seccomp_init.restype = ctypes.c_void_p
        lib.seccomp_init.argtypes = [ctypes.c_uint32]
        for name in ("seccomp_arch_add", "seccomp_arch_remove"):
            getattr(lib, name).argtypes = [ctypes.c_void_p, ctypes.c_uint32]
        lib.seccomp_arch_native.restype = ctypes.c_uint32
        lib.seccomp_attr_set.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_uint32]
        lib.seccomp_rule_add_array.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int, ctypes.c_uint,
                                               ctypes.POINTER(_ArgCmp)]
        lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
        lib.seccomp_syscall_resolve_name_arch.argtypes = [ctypes.c_uint32, ctypes.c_char_p]
        lib.seccomp_export_bpf.argtypes = [ctypes.c_void_p, ctypes.c_int]
        lib.seccomp_load.argtypes = [ctypes.c_void_p]
        lib.seccomp_release.argtypes = [ctypes.c_void_p]
        _lib = lib
    return _lib


def _check(result: int, what: str) -> None:
    if result < 0:
        raise SeccompUnavailable(f"{what}: {os.strerror(-result)}")


class Filter:
    """The learner's filter for ``arch`` (a name of ARCHES; None: this machine's own)."""

    def __init__(self, arch: str | None = None):
        lib = self.lib = library()
        self.ctx = lib.seccomp_init(SCMP_ACT_ALLOW)
        if not self.ctx:
            raise SeccompUnavailable("seccomp_init failed")
        self.arch = arch
        self.skipped: list[str] = []
        try:
            if arch is not None and ARCHES[arch] != lib.seccomp_arch_native():
                _check(lib.seccomp_arch_add(self.ctx, ARCHES[arch]), f"seccomp_arch_add {arch}")
                _check(lib.seccomp_arch_remove(self.ctx, lib.seccomp_arch_native()), "seccomp_arch_remove")
            _check(lib.seccomp_attr_set(self.ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS),
                   "seccomp_attr_set")
            deny = SCMP_ACT_ERRNO(errno.EPERM)
            for names in DENIED.values():
                for name in names:
                    self._rule(deny, name)
            # prctl's option is an int: the kernel reads the low 32 bits only, so compare those
            # (a full 64-bit compare would let 0x1_00000001 through as PR_SET_PDEATHSIG).
            self._rule(deny, "prctl", _ArgCmp(0, SCMP_CMP_MASKED_EQ, 0xFFFFFFFF, PR_SET_PDEATHSIG))
            self._rule(deny, "prlimit64", _ArgCmp(2, SCMP_CMP_NE, 0, 0))
        except BaseException:
            self.release()
            raise

    def _rule(self, action: int, name: str, *args: _ArgCmp) -> None:
        lib = self.lib
        arch = ARCHES[self.arch] if self.arch else lib.seccomp_arch_native()
        if lib.seccomp_syscall_resolve_name_arch(arch, name.encode()) < 0:
            self.skipped.append(name)  # not a system call of this architecture
            return
        number = lib.seccomp_syscall_resolve_name(name.encode())
        array = (_ArgCmp * len(args))(*args) if args else None
        _check(lib.seccomp_rule_add_array(self.ctx, action, number, len(args), array), f"seccomp_rule_add {name}")

    def export_bpf(self) -> bytes:
        with tempfile.TemporaryFile() as f:
            _check(self.lib.seccomp_export_bpf(self.ctx, f.fileno()), "seccomp_export_bpf")
            f.seek(0)
            return f.read()

    def load(self) -> None:
        """Sets no_new_privs, then the filter, on this process: for good."""
        _check(self.lib.seccomp_load(self.ctx), "seccomp_load")

    def release(self) -> None:
        if self.ctx:
            self.lib.seccomp_release(self.ctx)
            self.ctx = None


def apply() -> dict:
    """Load the filter on this process; what the probe reports."""
    try:
        flt = Filter()
        try:
            flt.load()
        finally:
            flt.release()
    except SeccompUnavailable as err:
        return {"ok": False, "why": f"seccomp: {err}"}
    return {"ok": True, "by": "libseccomp", "denied": sorted(n for names in DENIED.values() for n in names
                                                             if n not in flt.skipped),
            "argument rules": ["prctl PR_SET_PDEATHSIG", "prlimit64 with a new limit"]}
