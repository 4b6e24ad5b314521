import Flarelet
