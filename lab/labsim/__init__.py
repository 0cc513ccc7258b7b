"""labsim: the lab's simulated MTV environment (Kubernetes API, Forklift controllers, KubeVirt, ...).

Run through ``lab/mtvlab`` with /usr/bin/python3. See docs/lab.md and notes/lab-interface.md."""
