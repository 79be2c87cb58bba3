"""The Linux kernel as an implementation under test: descriptor passing with SCM_RIGHTS and
pidfd_getfd, recorded with strace or driven live by agent processes."""
