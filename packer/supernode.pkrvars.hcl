# The SuperNode appliance: Flower plus the ML frameworks its ClientApps may use, the default first;
# ONEAPP_FL_FRAMEWORK picks one at boot, nothing is downloaded then. CI builds it with ["sklearn"] only
# (images/build-image.sh --frameworks).
appliance_role = "supernode"
frameworks     = ["pytorch", "tensorflow", "sklearn"]
disk_size      = "10G"
