# The SuperLink appliance: Flower and scikit-learn (the digits and anomaly-detection ServerApps). A SuperLink that
# runs the PyTorch or TensorFlow use cases (ONEAPP_FL_USE_CASE) needs that framework for their ServerApps: add it.
appliance_role = "superlink"
frameworks     = ["sklearn"]
disk_size      = "4G"
