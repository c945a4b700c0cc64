#!/bin/sh
# Draws the pictures the README shows: run from the repository root with backprop installed (".[all]").
set -e
cd docs/images
python3 -c "
import csv, numpy as np
from sklearn.datasets import load_wine
d = load_wine()
names = np.array(['barolo', 'grignolino', 'barbera'])[d.target]
with open('wine.csv', 'w', newline='') as f:
    w = csv.writer(f)
    w.writerow([n.replace('/', '_') for n in d.feature_names] + ['cultivar'])
    w.writerows([*map(float, x), n] for x, n in zip(d.data, names))
"
rm -rf digits wine moons
backprop train --out digits --quiet
backprop train --data wine.csv --target cultivar --epochs 400 --early-stopping 5 --out wine --quiet
backprop train --data moons --plot --epochs 100 --early-stopping 10 --out moons --quiet
rm -f digits/model.npz wine/model.npz moons/model.npz wine.csv
