"""The base model from a local directory with LoRA adapters (PEFT); adapters in and out as numpy arrays.

The base weights stay where they are: only the adapter tensors (get_peft_model_state_dict) travel, in the sorted
order of their names. Uses a GPU when there is one.
"""

import os

import numpy as np
import torch
from peft import LoraConfig, get_peft_model, get_peft_model_state_dict, set_peft_model_state_dict
from transformers import AutoModelForCausalLM, AutoTokenizer

DEVICE = torch.device("cuda" if torch.cuda.is_available() else "cpu")


def load(cfg, seed=0):
    """(peft model, tokenizer) for the run config: model-dir, lora-r, lora-alpha, lora-target-modules."""
    model_dir = str(cfg["model-dir"])
    if not model_dir or not os.path.isfile(os.path.join(model_dir, "config.json")):
        raise ValueError("llm fine-tuning: run config model-dir=%r is not a local model directory (config.json, "
                         "weights, tokenizer); the images pre-bake one, nothing is downloaded" % model_dir)
    torch.manual_seed(seed)
    torch.set_num_threads(1)  # every ClientApp is its own process; SuperNodes share the host's cores
    tokenizer = AutoTokenizer.from_pretrained(model_dir, local_files_only=True)
    base = AutoModelForCausalLM.from_pretrained(model_dir, local_files_only=True)
    targets = [name.strip() for name in str(cfg["lora-target-modules"]).split(",") if name.strip()]
    config = LoraConfig(r=int(cfg["lora-r"]), lora_alpha=int(cfg["lora-alpha"]), target_modules=targets,
                        lora_dropout=0.0, task_type="CAUSAL_LM")
    return get_peft_model(base, config).to(DEVICE), tokenizer


def get_arrays(model):
    state = get_peft_model_state_dict(model)
    return [state[name].detach().cpu().numpy() for name in sorted(state)]


def set_arrays(model, arrays):
    names = sorted(get_peft_model_state_dict(model))
    set_peft_model_state_dict(model, {n: torch.from_numpy(np.asarray(a)) for n, a in zip(names, arrays, strict=True)})


def base_bytes(model):
    """Bytes of the frozen base weights (what would travel without adapters)."""
    return int(sum(p.numel() * p.element_size() for p in model.parameters() if not p.requires_grad))


def blocks(tokenizer, lines, block_size):
    """Token ids of the lines, joined with EOS, cut into blocks (n, block_size)."""
    ids = []
    for line in lines:
        ids.extend(tokenizer(line)["input_ids"] + [tokenizer.eos_token_id])
    usable = len(ids) // block_size * block_size
    if usable == 0:
        raise ValueError("llm fine-tuning: fewer than block-size=%d tokens of text" % block_size)
    return torch.tensor(ids[:usable]).view(-1, block_size)


def train(model, data, steps, batch_size, learning_rate, seed=0):
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=learning_rate)
    generator = torch.Generator().manual_seed(seed)
    model.train()
    losses = []
    for _step in range(steps):
        batch = data[torch.randint(len(data), (batch_size,), generator=generator)].to(DEVICE)
        loss = model(input_ids=batch, labels=batch).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return float(np.mean(losses[-5:]))


def evaluate(model, data, batch_size):
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for batch in data.split(batch_size):
            batch = batch.to(DEVICE)
            total += model(input_ids=batch, labels=batch).loss.item() * len(batch)
            count += len(batch)
    return total / max(count, 1)
