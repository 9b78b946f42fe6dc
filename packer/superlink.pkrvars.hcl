# The SuperLink appliance: Flower only (no ML framework; ServerApps need none in the demo apps).
appliance_role = "superlink"
flower_version = "1.42.0"
disk_size      = "4G"
