"""PyTorch autoencoder; its state_dict travels as numpy arrays. Uses a GPU when there is one."""

import numpy as np
import torch
from torch import nn

DEVICE = torch.device("cuda" if torch.cuda.is_available() else "cpu")
BATCH = 64


def new(features, seed=0, learning_rate=0.01):
    torch.manual_seed(seed)
    torch.set_num_threads(1)  # every ClientApp is its own process; SuperNodes share the host's cores
    model = nn.Sequential(nn.Linear(features, 8), nn.Tanh(), nn.Linear(8, 3), nn.Linear(3, 8), nn.Tanh(),
                          nn.Linear(8, features)).to(DEVICE)
    model.learning_rate = learning_rate
    return model


def get_arrays(model):
    return [v.detach().cpu().numpy() for v in model.state_dict().values()]


def set_arrays(model, arrays):
    keys = list(model.state_dict().keys())
    model.load_state_dict({k: torch.from_numpy(np.asarray(a)) for k, a in zip(keys, arrays, strict=True)})


def fit(model, x, epochs):
    data = torch.from_numpy(np.asarray(x, dtype=np.float32)).to(DEVICE)
    optimizer = torch.optim.Adam(model.parameters(), lr=model.learning_rate)
    generator = torch.Generator().manual_seed(0)
    model.train()
    for _epoch in range(epochs):
        for idx in torch.randperm(len(data), generator=generator).split(BATCH):
            batch = data[idx.to(DEVICE)]
            optimizer.zero_grad()
            loss = ((model(batch) - batch) ** 2).mean()
            loss.backward()
            optimizer.step()
    return float(np.mean(errors(model, x)))


def errors(model, x):
    model.eval()
    with torch.no_grad():
        data = torch.from_numpy(np.asarray(x, dtype=np.float32)).to(DEVICE)
        return ((model(data) - data) ** 2).mean(dim=1).cpu().numpy()
