"""Which language codes are real: a value taken from markup is asserted as a language only
when its primary subtag is one.

Markup holds much that is not a language in the places languages go (``lang="utf-8"``,
``content-language: x-default``), and ``[a-z]{2,3}`` alone accepts ``utf``. The codes are
ISO 639-1 (with the withdrawn ``iw``, ``in``, ``ji`` and ``sh`` that old pages still use) and
the three-letter ISO 639-2/3 codes of languages without a two-letter one, as CLDR names them
(without the special codes ``und``, ``mul``, ``mis``, ``zxx``).
"""

from __future__ import annotations

_ISO_639_1 = """
    aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu
    cv cy da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi
    ho hr ht hu hy hz ia id ie ig ii ik in io is it iu iw ja ji jv ka kg ki kj kk kl km kn
    ko kr ks ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd
    ne ng nl nn no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg
    sh si sk sl sm sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug
    uk ur uz ve vi vo wa wo xh yi yo za zh zu
"""
_ISO_639_3_NAMED = """
    ace ach ada ady aeb afh agq ain akk akz ale aln alt ang ann anp apw arc arn aro arp arq
    ars arw ary arz asa ase ast atj avk awa bal ban bar bas bax bbc bbj bej bem bew bez bfd
    bfq bgc bgn bho bik bin bjn bkm bla blo blt bpy bqi bra brh brx bss bua bug bum byn byv
    cad car cay cch ccp ceb cgg chb chg chk chm chn cho chp chr chy cic ckb clc cop cps crg
    crh crj crk crl crm crr crs csb csw dak dar dav del den dgr din dje doi dsb dtp dua dum
    dyo dyu dzg ebu efi egl egy eka elx enm esu ewo ext fan fat fil fit fon frc frm fro frp
    frr frs fur gaa gag gan gay gba gbz gez gil glk gmh goh gon gor got grb grc gsw guc gur
    guz gwi hai hak haw hax hif hil hit hmn hnj hsb hsn hup hur iba ibb ikt ilo inh izh jam
    jbo jgo jmc jpr jrb jut kaa kab kac kaj kam kaw kbd kbl kcg kde kea kek ken kfo kgp kha
    kho khq khw kiu kkj kln kmb koi kok kos kpe krc kri krj krl kru ksb ksf ksh kum kut kwk
    kxv lad lag lah lam lez lfn lij lil liv lkt lld lmo lol lou loz lrc lsm ltg lua lui lun
    luo lus luy lzh lzz mad maf mag mai mak man mas mde mdf mdr men mer mfe mga mgh mgo mic
    mid min mnc mni moe moh mos mrj mua mus mwl mwr mwv mye myv mzn nan nap naq nds new nia
    niu njo nmg nnh nnp nog non nov nqo nso nus nwc nym nyn nyo nzi ojb ojc ojs ojw oka osa
    ota pag pal pam pap pau pcd pcm pdc pdt peo pfl phn pis pms pnt pon pqm prg pro quc qug
    raj rap rar rej rgn rhg rif rof rom rtm rue rug rup rwk sad sah sam saq sas sat saz sba
    sbp scn sco sdc sdh see seh sei sel ses sga sgs shi shn shu sid sjd sje sju slh sli sly
    sma smj smn sms snk sog srn srr ssy stq str suk sus sux swb syc syr szl tce tcy tem teo
    ter tet tgx tht tig tiv tkl tkr tlh tli tly tmh tog tok tpi tru trv trw tsd tsi ttm ttt
    tum tvl twq tyv tzm udm uga umb vai vec vep vls vmf vmw vot vro vun wae wal war was wbp
    wuu xal xmf xnr xog yao yap yav ybb yrl yue zap zbl zea zen zgh zun zza
"""
ISO_639_1 = frozenset(_ISO_639_1.split())
ISO_639_3_NAMED = frozenset(_ISO_639_3_NAMED.split())


def is_language(code: str) -> bool:
    """Whether ``code`` (a primary language subtag, any case) names a language.

    >>> is_language("de"), is_language("FIL"), is_language("utf"), is_language("und")
    (True, True, False, False)
    """
    code = code.lower()
    return code in ISO_639_1 if len(code) == 2 else code in ISO_639_3_NAMED
