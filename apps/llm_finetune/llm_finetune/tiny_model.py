"""A tiny, randomly initialised GPT-2 and a word-level tokenizer, created locally (tests and demos; no model hub),
and a synthetic corpus in the same small vocabulary.

    python -m llm_finetune.tiny_model MODEL_DIR          # writes config, weights, tokenizer
    python tiny_model.py --corpus FILE SEED              # one SuperNode's demo corpus (numpy only; local mode)
"""

import sys

import numpy as np

SUBJECTS = ["the cat", "the dog", "a bird", "the farmer", "my friend", "the child", "a teacher", "the robot"]
VERBS = ["sees", "likes", "finds", "follows", "feeds", "paints", "builds", "visits"]
OBJECTS = ["the house", "a garden", "the river", "a tree", "the market", "a boat", "the hill", "the school"]
PLACES = ["in the morning", "at night", "after lunch", "every day", "in the rain", "on sunday"]
SPECIALS = ["[UNK]", "[PAD]", "[EOS]"]


def vocabulary():
    words = {w for phrase in SUBJECTS + VERBS + OBJECTS + PLACES for w in phrase.split()}
    return SPECIALS + sorted(words) + ["."]


def sentences(count, seed=0):
    """Sentences with a node-specific preference (seed) for some subjects, so nodes' data differ."""
    rng = np.random.default_rng(seed)
    prefs = rng.dirichlet(np.ones(len(SUBJECTS)))
    return ["%s %s %s %s ." % (SUBJECTS[rng.choice(len(SUBJECTS), p=prefs)], VERBS[rng.integers(len(VERBS))],
                               OBJECTS[rng.integers(len(OBJECTS))], PLACES[rng.integers(len(PLACES))])
            for _index in range(count)]


def write_corpus(path, count, seed=0):
    from pathlib import Path

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(sentences(count, seed)) + "\n", encoding="utf-8")
    return path


def create(model_dir, layers=2, width=128, heads=4, positions=64, seed=0):
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

    vocab = {word: i for i, word in enumerate(vocabulary())}
    tokenizer = Tokenizer(models.WordLevel(vocab=vocab, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    fast = PreTrainedTokenizerFast(tokenizer_object=tokenizer, unk_token="[UNK]", pad_token="[PAD]",
                                   eos_token="[EOS]", bos_token="[EOS]")
    config = GPT2Config(vocab_size=len(vocab), n_positions=positions, n_embd=width, n_layer=layers, n_head=heads,
                        bos_token_id=vocab["[EOS]"], eos_token_id=vocab["[EOS]"], pad_token_id=vocab["[PAD]"])
    torch.manual_seed(seed)
    GPT2LMHeadModel(config).save_pretrained(model_dir)
    fast.save_pretrained(model_dir)
    return model_dir


# Lines of a node's demo corpus, as the local federation's demo data and the tests write it.
DEMO_LINES = 600

if __name__ == "__main__":
    if sys.argv[1] == "--corpus":
        print(write_corpus(sys.argv[2], DEMO_LINES, seed=int(sys.argv[3])))
    else:
        print(create(sys.argv[1]))
