"""PyTorch CNN: two 3x3 convolutions with max-pooling, then a linear classifier. Uses a GPU when there is one."""

import numpy as np
import torch
from torch import nn

DEVICE = torch.device("cuda" if torch.cuda.is_available() else "cpu")
BATCH = 32


def new(size, classes, seed=0, learning_rate=0.005):
    torch.manual_seed(seed)
    torch.set_num_threads(1)  # every ClientApp is its own process; SuperNodes share the host's cores
    model = nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * (size // 4) ** 2, classes)).to(DEVICE)
    model.learning_rate = learning_rate
    return model


def get_arrays(model):
    return [v.detach().cpu().numpy() for v in model.state_dict().values()]


def set_arrays(model, arrays):
    keys = list(model.state_dict().keys())
    model.load_state_dict({k: torch.from_numpy(np.asarray(a)) for k, a in zip(keys, arrays, strict=True)})


def _tensors(x, y):
    return (torch.from_numpy(np.asarray(x, dtype=np.float32)).unsqueeze(1).to(DEVICE),
            torch.from_numpy(np.asarray(y, dtype=np.int64)).to(DEVICE))


def fit(model, x, y, epochs):
    images, labels = _tensors(x, y)
    optimizer = torch.optim.Adam(model.parameters(), lr=model.learning_rate)
    generator = torch.Generator().manual_seed(0)
    model.train()
    for _epoch in range(epochs):
        for idx in torch.randperm(len(images), generator=generator).split(BATCH):
            idx = idx.to(DEVICE)
            optimizer.zero_grad()
            nn.functional.cross_entropy(model(images[idx]), labels[idx]).backward()
            optimizer.step()
    return evaluate(model, x, y)


def evaluate(model, x, y):
    """(loss, accuracy)."""
    images, labels = _tensors(x, y)
    model.eval()
    with torch.no_grad():
        logits = model(images)
        loss = nn.functional.cross_entropy(logits, labels).item()
        accuracy = (logits.argmax(dim=1) == labels).float().mean().item()
    return float(loss), float(accuracy)
